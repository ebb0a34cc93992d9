import Engine
import Foundation

/// One line of `log.jsonl`: the loss terms after an iteration (iteration 0 is the start),
/// counted over the whole render, and the scale (longer side) it ran at. Where a coarse-to-
/// fine render moves to the next scale, a record with the same iteration gives the loss of
/// the enlarged image under that scale's objective.
struct LogRecord: Codable, Equatable {
    var iteration: Int
    var scale: Int
    var loss: Double
    var content: Double
    var style: Double
    var styleLayers: [String: Double]
    var tv: Double
    var histogram: Double
    var evaluations: Int
    var seconds: Double

    enum CodingKeys: String, CodingKey {
        case iteration, scale, loss, content, style, tv, histogram, evaluations, seconds
        case styleLayers = "style_layers"
    }

    init(_ report: IterationReport) {
        iteration = report.iteration
        scale = report.scale
        loss = report.terms.total
        content = report.terms.content
        style = report.terms.style
        styleLayers = report.terms.styleLayers
        tv = report.terms.tv
        histogram = report.terms.histogram
        evaluations = report.evaluations
        seconds = report.seconds
    }
}

/// `report.json`: everything needed to know what was rendered and how.
struct RenderReport: Codable {
    struct Model: Codable { var name: String; var architecture: String; var input: String; var sha256: String; var source: String }
    struct Picture: Codable {
        var file: String
        var originalWidth: Int
        var originalHeight: Int
        var width: Int
        var height: Int
        var weight: Double?
        /// For a style: the box of the original that was kept (`style_trim`).
        var kept: PixelBox? = nil
    }

    var styledVersion: String
    var parameters: ResolvedJob
    var profile: String?
    var overrides: [String]?
    var model: Model
    var content: Picture
    var styles: [Picture]
    var iterations: Int
    var evaluations: Int
    var stop: StopReason
    var wallSeconds: Double
    var secondsPerIteration: Double
    var final: LogRecord
    var outputs: [String]
    var memory: Memory?

    /// How the render kept to its memory budget: each scale's tiles and expected bytes
    /// (Engine's `MemoryPlan`), the peak resident memory of the process that rendered it (its
    /// ru_maxrss, after the outputs are written: a daemon's covers its other jobs too) and the
    /// largest checkpoint written.
    struct Memory: Codable {
        var budgetBytes: UInt64?
        var scales: [MemoryPlan.Scale]
        var peakResidentBytes: Int
        var checkpointBytes: Int?
    }
}

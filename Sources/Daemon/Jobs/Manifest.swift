import Engine
import Foundation
import TOMLKit

/// A job's parameters. Every field is optional: a job folder's `job.toml` gives some, a
/// profile others, and `resolved()` fills the rest with the defaults (`JobSettings.Defaults`).
struct JobParameters: Equatable {
    struct Style: Equatable, Codable {
        var image: String
        var weight: Double
    }

    var content: String?
    var style: [Style]?
    var size: Int?
    var iterations: Int?
    var contentWeight: Double?
    var styleWeight: Double?
    var tvWeight: Double?
    var initial: InitialImage?
    var seed: Int?
    var model: String?
    var contentLayers: [String]?
    var styleLayers: [String]?
    var styleLayerWeights: [Double]?
    var styleScale: Double?
    var optimizer: OptimizerKind?
    /// The last scale's optimiser (default: `optimizer`).
    var topOptimizer: OptimizerKind?
    var history: Int?
    var tolerance: Double?
    var learningRate: Double?
    var pooling: Pooling?
    var frameEvery: Int?
    var frameDelay: Int?
    var animationSize: Int?
    var format: ImageFormat?
    var quality: Int?
    var profile: String?
    var preserveColors: ColourPreservation?
    var histogramWeight: Double?
    var histogramLayers: [String]?
    var scales: Int?
    var scaleFactor: Double?
    var scaleIterations: [Int]?
    var recipe: Recipe?
    var padding: EdgePadding?
    var gramNormalisation: GramNormalisation?
    var styleTrim: StyleTrim?
    /// The size at which the weights hold; other sizes scale them by the pixel count. 0: as given.
    var weightsSize: Int?
    var averageDecay: Double?
    var styleLoss: StyleLossKind?

    /// The manifest keys, as written in job.toml and profiles.
    static let keys: [String] = [
        "content", "style", "size", "iterations", "content_weight", "style_weight", "tv_weight", "init", "seed", "model",
        "content_layers", "style_layers", "style_layer_weights", "style_scale", "optimizer", "history", "tolerance",
        "learning_rate", "pooling", "frame_every", "frame_delay", "animation_size", "format", "quality", "profile",
        "preserve_colors", "histogram_weight", "histogram_layers", "scales", "scale_factor", "scale_iterations",
        "recipe", "padding", "gram_normalisation", "style_trim", "weights_size", "average_decay", "style_loss",
        "top_optimizer",
    ]
}

/// A manifest that cannot be used: the job fails with it.
struct ManifestError: FieldError, Equatable {
    var file: String
    var field: String?
    var reason: String
}

extension JobParameters {
    /// Parses a TOML table of job parameters. Unknown keys and values of the wrong type are errors.
    init(table: TOMLTable, file: String, allowedKeys: Set<String> = Set(JobParameters.keys)) throws {
        func fail(_ field: String?, _ reason: String) -> ManifestError { ManifestError(file: file, field: field, reason: reason) }
        for key in table.keys where !allowedKeys.contains(key) {
            let hint = allowedKeys.min { Self.distance($0, key) < Self.distance($1, key) }.flatMap { Self.distance($0, key) <= 3 ? " (did you mean `\($0)`?)" : nil } ?? ""
            throw fail(key, "unknown key\(hint)")
        }
        func string(_ key: String) throws -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw fail(key, "must be a string") }
            return text
        }
        func number(_ key: String) throws -> Double? {
            guard let value = table[key] else { return nil }
            if let d = value.double { return d }
            if let i = value.int { return Double(i) }
            throw fail(key, "must be a number")
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let value = table[key] else { return nil }
            guard let i = value.int else { throw fail(key, "must be a whole number") }
            guard range.contains(i) else { throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(i)") }
            return i
        }
        func nonNegative(_ key: String) throws -> Double? {
            guard let d = try number(key) else { return nil }
            guard d >= 0, d.isFinite else { throw fail(key, "must be a finite number ≥ 0") }
            return d
        }
        func strings(_ key: String) throws -> [String]? {
            guard let value = table[key] else { return nil }
            guard let array = value.array, let list = Optional(array.compactMap(\.string)), list.count == array.count, !list.isEmpty else {
                throw fail(key, "must be a non-empty list of strings")
            }
            return list
        }
        func choice<T: RawRepresentable>(_ key: String, _: T.Type) throws -> T? where T.RawValue == String {
            guard let text = try string(key) else { return nil }
            guard let value = T(rawValue: text) else { throw fail(key, "`\(text)` is not one of the accepted values") }
            return value
        }
        content = try string("content")
        if let value = table["style"] {
            let entries: [TOMLValueConvertible] = value.array.map { Array($0) } ?? [value]
            let styles = try entries.enumerated().map { index, entry in
                if let name = entry.string { return Style(image: name, weight: 1) }
                guard let item = entry.table, let image = item["image"]?.string else {
                    throw fail("style", "entry \(index + 1) must be a file name or { image = \"…\", weight = … }")
                }
                if let extra = item.keys.first(where: { $0 != "image" && $0 != "weight" }) {
                    throw fail("style", "entry \(index + 1) has unknown key `\(extra)`")
                }
                let weight = item["weight"].map { $0.double ?? $0.int.map(Double.init) ?? -1 } ?? 1
                guard weight > 0, weight.isFinite else { throw fail("style", "entry \(index + 1): weight must be a number > 0") }
                return Style(image: image, weight: weight)
            }
            if styles.isEmpty { throw fail("style", "needs at least one style image") }
            style = styles
        }
        size = try integer("size", 16...16384)
        let iterationCounts = 0...1_000_000
        iterations = try integer("iterations", iterationCounts)
        contentWeight = try nonNegative("content_weight")
        styleWeight = try nonNegative("style_weight")
        tvWeight = try nonNegative("tv_weight")
        initial = try string("init").map(InitialImage.init)
        seed = try integer("seed", 0...Int(Int32.max))
        model = try string("model")
        contentLayers = try strings("content_layers")
        styleLayers = try strings("style_layers")
        if let value = table["style_layer_weights"] {
            guard let array = value.array else { throw fail("style_layer_weights", "must be a list of numbers") }
            let numbers = array.compactMap { $0.double ?? $0.int.map(Double.init) }
            guard numbers.count == array.count, numbers.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw fail("style_layer_weights", "must be a list of numbers ≥ 0")
            }
            styleLayerWeights = numbers
        }
        styleScale = try nonNegative("style_scale")
        if styleScale == 0 { throw fail("style_scale", "must be > 0") }
        optimizer = try choice("optimizer", OptimizerKind.self)
        topOptimizer = try choice("top_optimizer", OptimizerKind.self)
        history = try integer("history", 1...100)
        tolerance = try nonNegative("tolerance")
        learningRate = try nonNegative("learning_rate")
        pooling = try choice("pooling", Pooling.self)
        frameEvery = try integer("frame_every", 0...1_000_000)
        frameDelay = try integer("frame_delay", 1...6000)
        animationSize = try integer("animation_size", 16...4096)
        if let text = try string("format") {
            guard let value = ["png": ImageFormat.png, "jpeg": .jpeg, "jpg": .jpeg][text] else { throw fail("format", "must be png or jpeg") }
            format = value
        }
        quality = try integer("quality", 1...100)
        profile = try string("profile")
        preserveColors = try choice("preserve_colors", ColourPreservation.self)
        histogramWeight = try nonNegative("histogram_weight")
        histogramLayers = try strings("histogram_layers")
        scales = try integer("scales", 1...8)
        scaleFactor = try number("scale_factor")
        if let scaleFactor, !(1.1...4).contains(scaleFactor) { throw fail("scale_factor", "must be between 1.1 and 4 (e.g. 2, or 1.414 for √2)") }
        if let value = table["scale_iterations"] {
            let counts = value.array?.compactMap(\.int) ?? []
            // Each within `iterations`' range, so that their sum cannot overflow.
            guard counts.count == value.array?.count, !counts.isEmpty, counts.allSatisfy(iterationCounts.contains) else {
                throw fail("scale_iterations", "must be a list of whole numbers from 0 to \(iterationCounts.upperBound), one per scale, smallest first")
            }
            scaleIterations = counts
        }
        recipe = try choice("recipe", Recipe.self)
        padding = try choice("padding", EdgePadding.self)
        gramNormalisation = try choice("gram_normalisation", GramNormalisation.self)
        if let value = table["style_trim"] {
            guard let trim = StyleTrim(toml: value) else {
                throw fail("style_trim", "must be \"auto\", \"none\", a pixel count for every side, or [top, right, bottom, left] (0 to 4096 each)")
            }
            styleTrim = trim
        }
        weightsSize = try integer("weights_size", 0...16384)
        averageDecay = try nonNegative("average_decay")
        styleLoss = try choice("style_loss", StyleLossKind.self)
        if let averageDecay, averageDecay >= 1 { throw fail("average_decay", "must be at least 0 and below 1 (0: no averaging)") }
    }

    /// Reads `job.toml` (at most `maxBytes`) as a table, for merging with a profile.
    static func table(manifest path: String, maxBytes: Int = 1 << 20) throws -> TOMLTable {
        let bytes: [UInt8]
        // Not through a symbolic link: it could name any file the daemon may read.
        do { bytes = try readRegularFile(path, maxBytes: maxBytes, followLinks: false) } catch let error as FileError {
            throw ManifestError(file: path, field: nil, reason: error.reason)
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ManifestError(file: path, field: nil, reason: "not UTF-8 text")
        }
        do { return try TOMLTable(string: text) } catch {
            throw ManifestError(file: path, field: nil, reason: "not valid TOML: \(error)")
        }
    }

    /// Edit distance, to suggest the key a typo meant.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in a.indices {
            var diagonal = row[0]
            row[0] = i + 1
            for j in b.indices {
                let above = row[j + 1]
                row[j + 1] = min(above + 1, row[j] + 1, diagonal + (a[i] == b[j] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}

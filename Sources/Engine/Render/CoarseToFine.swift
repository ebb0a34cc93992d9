import Foundation

// Coarse-to-fine rendering (Gatys et al. 2017, "Controlling Perceptual Factors in Neural
// Style Transfer"; crowsonkb's style-transfer-pytorch does it by default). An iteration at
// half the size costs a quarter, and the large-scale arrangement of the style settles at the
// small sizes, where the network's receptive fields cover more of the picture. So: render
// at sizes growing by a factor (2, or √2 as crowsonkb does) up to the job's, each scale
// starting from the previous result enlarged (bicubic) with its targets recomputed at that
// size, most iterations at the smallest. Here: the scales and each one's objective; a job's
// render (JobRender.swift) runs them.

/// One scale of a render: its longer side and its iterations.
public struct ScaleStep: Sendable, Equatable, Codable {
    public var size: Int
    public var iterations: Int

    public init(size: Int, iterations: Int) {
        self.size = size
        self.iterations = iterations
    }
}

public enum CoarseToFine {
    /// No scale is made smaller than this (longer side): below it little of a style shows.
    public static let smallestSize = 64

    /// `scales` sizes shrinking from `size` by `factor` each (none below `minimumSize`), and the
    /// iterations split between them: `split` if given (one count per scale, smallest first),
    /// else each scale twice as many as the next larger one (for 3 scales 4:2:1).
    public static func schedule(size: Int, scales: Int, factor: Double = JobSettings.Defaults.scaleFactor, iterations: Int, split: [Int]? = nil,
                                minimumSize: Int) -> [ScaleStep] {
        var sizes = [size]
        while sizes.count < scales {
            // From `size` each time, so that √2 steps do not pile up rounding.
            let smaller = Int((Double(size) / pow(factor, Double(sizes.count))).rounded())
            guard smaller >= minimumSize, smaller < sizes[0] else { break }
            sizes.insert(smaller, at: 0)
        }
        if let split, split.count == sizes.count { return zip(sizes, split).map { ScaleStep(size: $0, iterations: $1) } }
        let shares = sizes.indices.map { Double(1 << (sizes.count - 1 - $0)) }
        let total = shares.reduce(0, +)
        var counts = shares.map { Int((Double(iterations) * $0 / total).rounded(.down)) }
        counts[0] += iterations - counts.reduce(0, +)  // what rounding left goes to the smallest
        return zip(sizes, counts).map { ScaleStep(size: $0, iterations: $1) }
    }

    /// The objective at a scale with `pixelRatio` (its pixels / the full size's): the content
    /// and total-variation losses grow with the number of pixels while the style and
    /// histogram losses do not, so the latter are weighted by the ratio to keep the full
    /// size's balance between them.
    public static func settings(_ settings: ObjectiveSettings, pixelRatio: Double) -> ObjectiveSettings {
        var scaled = settings
        scaled.styleWeight *= pixelRatio
        scaled.histogramWeight *= pixelRatio
        return scaled
    }
}

// What the style losses need of a layer's features F (N × M) are sums over its positions: the
// Gram matrix F Fᵀ, each channel's sum, and M. Sums add, so an image evaluated in tiles
// (Tiling.swift) gives the same sums as the whole image. Given them, each style loss's gradient
// is linear in F: ∂E/∂F = D F + b 1ᵀ (`StyleGradient`), so it too can be applied tile by tile.

public struct LayerSums: Sendable, Equatable {
    /// F Fᵀ, not normalised.
    public var gram: GramMatrix
    public var channelSums: [Double]
    public var positions: Int

    /// No positions yet.
    public init(channels: Int) {
        gram = GramMatrix(size: channels, values: [Float](repeating: 0, count: channels * channels))
        channelSums = [Double](repeating: 0, count: channels)
        positions = 0
    }

    public init(_ features: Tensor) {
        gram = GramLoss.gram(features)
        channelSums = (0..<features.channels).map { c in features.channel(c).reduce(0.0) { $0 + Double($1) } }
        positions = features.plane
    }

    public mutating func add(_ other: LayerSums) {
        precondition(other.gram.size == gram.size, "adding sums of layers of different widths")
        for i in gram.values.indices { gram.values[i] += other.gram.values[i] }
        for i in channelSums.indices { channelSums[i] += other.channelSums[i] }
        positions += other.positions
    }

    /// μ = F1 / M.
    public var means: [Double] { channelSums.map { $0 / Double(max(1, positions)) } }
}

/// A style loss's gradient at a layer, ∂E/∂F = D F + b 1ᵀ, with D (N × N, row-major) and b
/// already scaled by the loss's constants.
public struct StyleGradient: Sendable {
    public var matrix: [Float]
    /// b; nil for none.
    public var shift: [Float]?

    /// D F + b 1ᵀ for these features (the whole layer's, or a tile's part of it).
    public func apply(to features: Tensor) -> Tensor {
        let n = features.channels, m = features.plane
        precondition(matrix.count == n * n, "a style gradient of another layer's width")
        return Tensor(channels: n, height: features.height, width: features.width) { out in
            guard m > 0 else { return }
            matrix.withUnsafeBufferPointer { d in
                features.data.withUnsafeBufferPointer { f in
                    // D · F over each worker's columns of F.
                    Parallel.forEachRange(m, minimum: 4096) { range in
                        BLAS.sgemm(m: n, n: range.count, k: n, a: d.baseAddress!, lda: n,
                                   b: f.baseAddress! + range.lowerBound, ldb: m, beta: 0, c: out + range.lowerBound, ldc: m)
                    }
                }
            }
            if let shift { for c in 0..<n { for p in 0..<m { out[c * m + p] += shift[c] } } }
        }
    }
}

// Style loss at one layer (Gatys et al., eq. 4–6). F is N × M (channels × positions); its
// Gram matrix G = F Fᵀ (not normalised); A the target Gram (several style images blended).
//   E = Σ (G − A)² / (4 N² M²),   ∂E/∂F = (G − A) F / (N² M²)   (G and A are symmetric).
// The paper's A is the style's own F Fᵀ, whose size grows with the style's positions M_s, so
// a style of another size or shape than the content pulls towards stronger or weaker
// features than its own. Normalised per position (`GramNormalisation.positions`, as crowsonkb
// does), Ĝ = G / M and Â = Σ_k π_k A_k / M_k:
//   E = Σ (Ĝ − Â)² / (4 N²),   ∂E/∂F = (Ĝ − Â) F / (N² M),
// the same as the paper's wherever M_s = M.

/// Whether Gram matrices are compared as sums over positions (the paper) or as means.
public enum GramNormalisation: String, Sendable, Codable, CaseIterable {
    case none, positions
}
public struct GramMatrix: Sendable, Equatable {
    public var size: Int  // N
    public var values: [Float]  // N × N, row-major

    public init(size: Int, values: [Float]) {
        precondition(values.count == size * size)
        self.size = size
        self.values = values
    }

    /// Σ_k weight_k · A_k, with the weights normalised to sum to 1.
    public static func blend(_ grams: [(gram: GramMatrix, weight: Double)]) -> GramMatrix {
        let total = grams.reduce(0) { $0 + $1.weight }
        var values = [Float](repeating: 0, count: grams[0].gram.values.count)
        for (gram, weight) in grams {
            precondition(gram.size == grams[0].gram.size, "blending Gram matrices of different sizes")
            let share = Float(weight / total)
            for i in values.indices { values[i] += share * gram.values[i] }
        }
        return GramMatrix(size: grams[0].gram.size, values: values)
    }
}

public enum GramLoss {
    /// G = F Fᵀ. Each worker multiplies its share of the positions; the partial sums are added.
    public static func gram(_ features: Tensor) -> GramMatrix {
        let n = features.channels, m = features.plane
        // A tile's core may hold no positions of a deep layer (a strip narrower than its stride).
        guard m > 0 else { return GramMatrix(size: n, values: [Float](repeating: 0, count: n * n)) }
        let workers = m < 4096 ? 1 : Parallel.workers
        var partials = [[Float]](repeating: [Float](repeating: 0, count: n * n), count: workers)
        features.data.withUnsafeBufferPointer { f in
            partials.withUnsafeMutableBufferPointer { parts in
                let parts = parts.baseAddress!
                Parallel.forEachRange(workers, minimum: 1) { range in
                    for w in range {
                        let start = m * w / workers, count = m * (w + 1) / workers - start
                        parts[w].withUnsafeMutableBufferPointer { g in
                            BLAS.sgemm(m: n, n: n, k: count, a: f.baseAddress! + start, lda: m, b: f.baseAddress! + start, ldb: m,
                                       beta: 0, c: g.baseAddress!, ldc: n, transposeB: true)
                        }
                    }
                }
            }
        }
        var values = partials[0]
        for part in partials.dropFirst() { for i in values.indices { values[i] += part[i] } }
        return GramMatrix(size: n, values: values)
    }

    /// `target` is normalised as `normalisation` says (`StyleTransfer` blends it so).
    public static func evaluate(features: Tensor, target: GramMatrix, normalisation: GramNormalisation = .none) -> (loss: Double, gradient: Tensor) {
        let (loss, gradient) = evaluate(sums: LayerSums(features), target: target, normalisation: normalisation)
        return (loss, gradient.apply(to: features))
    }

    /// The loss from the layer's sums, and its gradient as a rule to apply to the features.
    public static func evaluate(sums: LayerSums, target: GramMatrix, normalisation: GramNormalisation = .none) -> (loss: Double, gradient: StyleGradient) {
        let n = sums.gram.size, m = sums.positions
        precondition(target.size == n, "style target has \(target.size) channels, the layer \(n)")
        // An image too small to reach the layer leaves it no positions: nothing to match, where
        // the formula would give x/0 (an infinite loss).
        guard m > 0 else { return (0, StyleGradient(matrix: [Float](repeating: 0, count: n * n))) }
        // Ĝ = k G, with k = 1/M when normalised; E = Σ (Ĝ − A)² / (4 N² (kM)²), ∂E/∂F = k (Ĝ − A) F / (N² (kM)²).
        let k = normalisation == .positions ? 1 / Float(m) : 1, kM = Double(k) * Double(m)
        let scale = 1 / (Double(n) * Double(n) * kM * kM)
        var sum = 0.0
        var difference = [Float](repeating: 0, count: n * n)
        for i in difference.indices {
            let d = k * sums.gram.values[i] - target.values[i]
            difference[i] = d * Float(scale) * k
            sum += Double(d) * Double(d)
        }
        return (sum * scale / 4, StyleGradient(matrix: difference))
    }
}

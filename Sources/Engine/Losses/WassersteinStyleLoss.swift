import Foundation

// Style loss as a distance between Gaussians (crowsonkb's style-transfer-pytorch, after its
// StyleLossW2). A layer's features F (N × M) are summed up by their mean μ = F1/M and their
// covariance Σ = FFᵀ/M − μμᵀ over the positions; the style's likewise (μₛ, Σₛ, its Gram over
// its own positions giving the second moment). The squared 2-Wasserstein distance between
// the two Gaussians is
//   W² = ‖μ − μₛ‖² + tr Σ + tr Σₛ − 2 tr (S Σ S)^½,   S = Σₛ^½.
// A Gram matrix is Σ + μμᵀ: it mixes how strongly a feature fires with how it varies; W²
// matches the two apart, and, being a distance rather than a squared difference of squares,
// it does not let the strongest features drown out the rest.
// Near the target, W² ≈ ‖δΣ‖² / (c σ²) for features of variance σ² (c = 4 to 8), while the
// Gram loss is ‖δΣ‖² / (4 N²); so the layer's loss is E = k W² with k = σₛ² / N² (σₛ² the
// style's mean variance at the layer): then the Gram loss's style weights carry over.
// With X = S Σ S and D = I − S X^−½ S (the derivative of W² by Σ):
//   ∂E/∂F = (2k / M) · [D (F − μ1ᵀ) + (μ − μₛ)1ᵀ].
// Both covariances get ε·I (ε relative to the style's mean variance), as crowsonkb's does,
// so that X^−½ stays finite where a channel never fires.

/// A layer's style target for the Wasserstein loss: several styles' means and second moments
/// blended by weight (those blend linearly; covariances would not), then the covariance's root.
public struct StyleMoments: Sendable, Equatable {
    public var mean: [Double]
    /// S = (Σₛ + εI)^½, row-major N × N.
    public var root: [Double]
    /// tr (Σₛ + εI).
    public var trace: Double
    public var epsilon: Double
    /// k = σₛ² / N², which makes E = k W² commensurate with the Gram loss.
    public var lossScale: Double

    /// From each style's Gram (F Fᵀ, unnormalised), its features' means and its positions.
    public init(blending styles: [(gram: GramMatrix, mean: [Double], positions: Int, weight: Double)]) {
        let n = styles[0].gram.size, total = styles.reduce(0) { $0 + $1.weight }
        var mean = [Double](repeating: 0, count: n), moment = [Double](repeating: 0, count: n * n)
        for style in styles {
            let share = style.weight / total, perPosition = share / Double(max(1, style.positions))
            for i in 0..<n { mean[i] += share * style.mean[i] }
            for i in moment.indices { moment[i] += perPosition * Double(style.gram.values[i]) }
        }
        var covariance = moment
        for i in 0..<n { for j in 0..<n { covariance[i * n + j] -= mean[i] * mean[j] } }
        let meanVariance = (0..<n).reduce(0) { $0 + covariance[$1 * n + $1] } / Double(n)
        epsilon = 1e-4 * meanVariance + 1e-8
        lossScale = meanVariance / (Double(n) * Double(n))
        for i in 0..<n { covariance[i * n + i] += epsilon }
        self.mean = mean
        root = WassersteinStyleLoss.symmetricPower(covariance, n: n, 0.5).power
        trace = (0..<n).reduce(0) { $0 + covariance[$1 * n + $1] }
    }
}

public enum WassersteinStyleLoss {
    public static func evaluate(features: Tensor, target: StyleMoments) -> (loss: Double, gradient: Tensor) {
        let (loss, gradient) = evaluate(sums: LayerSums(features), target: target)
        return (loss, gradient.apply(to: features))
    }

    /// The loss from the layer's sums, and its gradient as a rule to apply to the features.
    public static func evaluate(sums: LayerSums, target: StyleMoments) -> (loss: Double, gradient: StyleGradient) {
        let n = sums.gram.size, m = sums.positions
        guard m > 0 else { return (0, StyleGradient(matrix: [Float](repeating: 0, count: n * n))) }
        let mean = sums.means
        var covariance = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { covariance[i * n + j] = Double(sums.gram.values[i * n + j]) / Double(m) - mean[i] * mean[j] }
            covariance[i * n + i] += target.epsilon
        }
        let x = BLAS.dgemm(m: n, n: n, k: n, a: BLAS.dgemm(m: n, n: n, k: n, a: target.root, b: covariance), b: target.root)
        let (inverseRoot, rootTrace) = symmetricPower(x, n: n, -0.5)
        var meanDistance = 0.0, trace = 0.0
        for i in 0..<n {
            meanDistance += (mean[i] - target.mean[i]) * (mean[i] - target.mean[i])
            trace += covariance[i * n + i]
        }
        let loss = (meanDistance + trace + target.trace - 2 * rootTrace) * target.lossScale
        // D = I − S X^−½ S, then ∂E/∂F = (2k / M) (D F + (μ − μₛ − Dμ) 1ᵀ).
        var d = BLAS.dgemm(m: n, n: n, k: n, a: BLAS.dgemm(m: n, n: n, k: n, a: target.root, b: inverseRoot), b: target.root)
        for i in d.indices { d[i] = -d[i] }
        for i in 0..<n { d[i * n + i] += 1 }
        let shift = (0..<n).map { i in mean[i] - target.mean[i] - (0..<n).reduce(0) { $0 + d[i * n + $1] * mean[$1] } }
        let scale = 2 * target.lossScale / Double(m)
        return (loss, StyleGradient(matrix: d.map { Float($0 * scale) }, shift: shift.map { Float($0 * scale) }))
    }

    /// A symmetric positive semi-definite matrix to a power, and the trace of its square root.
    /// Eigenvalues are floored (relative to the largest) so that a negative power stays finite.
    static func symmetricPower(_ matrix: [Double], n: Int, _ power: Double) -> (power: [Double], rootTrace: Double) {
        let (values, vectors) = BLAS.symmetricEigen(matrix, n: n)
        let floor = max(1e-12, 1e-10 * (values.max() ?? 0))
        let scaled = values.map { pow(max($0, floor), power) }
        // V diag(scaled) Vᵀ, with eigenvector k in column k of `vectors`.
        var right = vectors
        for row in 0..<n { for k in 0..<n { right[row * n + k] *= scaled[k] } }
        let result = BLAS.dgemm(m: n, n: n, k: n, a: right, b: vectors, transposeB: true)
        return (result, values.reduce(0) { $0 + max($1, 0).squareRoot() })
    }
}

import Engine
import Foundation
import Testing

/// The Wasserstein style loss against a float64 reference written from its formula, with the
/// matrix square roots by Jacobi's eigenvalue method (not LAPACK, which the engine uses).
@Suite struct WassersteinTests {
    /// Eigenvalues and eigenvectors (columns) of a small symmetric matrix, by cyclic Jacobi rotations.
    static func jacobi(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix, v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in 0..<n where p != q { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-24 * max(1, (0..<n).reduce(0) { $0 + a[$1 * n + $1] * a[$1 * n + $1] }) { break }
            for p in 0..<n - 1 {
                for q in p + 1..<n where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {  // A ← A J, then A ← Jᵀ A; V ← V J
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        (a[k * n + p], a[k * n + q]) = (c * akp - s * akq, s * akp + c * akq)
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        (a[p * n + k], a[q * n + k]) = (c * apk - s * aqk, s * apk + c * aqk)
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        (v[k * n + p], v[k * n + q]) = (c * vkp - s * vkq, s * vkp + c * vkq)
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }

    static func squareRoot(_ matrix: [Double], n: Int) -> [Double] {
        let (values, vectors) = jacobi(matrix, n: n)
        var root = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { root[i * n + j] += vectors[i * n + k] * max(0, values[k]).squareRoot() * vectors[j * n + k] } } }
        return root
    }

    static func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { for j in 0..<n { c[i * n + j] += a[i * n + k] * b[k * n + j] } } }
        return c
    }

    /// Mean and covariance (over positions) of a layer's features.
    static func moments(_ f: Reference.Volume) -> (mean: [Double], covariance: [Double]) {
        let n = f.channels, m = f.height * f.width
        let mean = (0..<n).map { c in f.data[c * m..<(c + 1) * m].reduce(0, +) / Double(m) }
        var covariance = [Double](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { for p in 0..<m { covariance[a * n + b] += f.data[a * m + p] * f.data[b * m + p] / Double(m) } } }
        for a in 0..<n { for b in 0..<n { covariance[a * n + b] -= mean[a] * mean[b] } }
        return (mean, covariance)
    }

    @Test func wassersteinStyleLossMatchesItsFormulaAndFiniteDifferences() {
        let weights = VGGWeights.random(.vgg16, seed: 81, widthDivisor: 16)
        let (h, w) = (16, 12)
        let content = randomImage(width: w, height: h, seed: 82), style = randomImage(width: 14, height: 12, seed: 83)
        let layers = ["block1_conv1", "block2_conv1", "block3_conv1"]
        let settings = ObjectiveSettings(contentLayers: ["block2_conv2"], styleLayers: layers, styleLayerWeights: [0.5, 0.3, 0.2],
                                         contentWeight: 0, styleWeight: 1, tvWeight: 0, styleLoss: .wasserstein)
        let transfer = StyleTransfer(network: VGG(weights: weights), settings: settings, content: content, styles: [(style, 1)])
        let x = randomImage(width: w, height: h, seed: 84)
        let (terms, gradient) = transfer.objective.evaluate(x)

        func features(_ image: [Double], _ height: Int, _ width: Int) -> [String: Reference.Volume] {
            Reference.vgg(weights, image: image, height: height, width: width, depth: 6, pooling: .max)
        }
        let styleFeatures = features(style.pixels.data.map(Double.init), 12, 14)
        let contentTarget = features(content.pixels.data.map(Double.init), h, w)["block2_conv2"]!
        let targets = layers.map { layer -> (mean: [Double], covariance: [Double], root: [Double], epsilon: Double, k: Double) in
            var (mean, covariance) = Self.moments(styleFeatures[layer]!)
            let n = mean.count, meanVariance = (0..<n).reduce(0) { $0 + covariance[$1 * n + $1] } / Double(n)
            let epsilon = 1e-4 * meanVariance + 1e-8
            for i in 0..<n { covariance[i * n + i] += epsilon }
            return (mean, covariance, Self.squareRoot(covariance, n: n), epsilon, meanVariance / Double(n * n))
        }
        func loss(_ image: [Double]) -> (total: Double, style: Double) {
            let f = features(image, h, w)
            let content = 0.5 * zip(f["block2_conv2"]!.data, contentTarget.data).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            var style = 0.0
            for ((layer, weight), target) in zip(zip(layers, settings.resolvedStyleLayerWeights), targets) {
                var (mean, covariance) = Self.moments(f[layer]!)
                let n = mean.count
                for i in 0..<n { covariance[i * n + i] += target.epsilon }
                let rootTrace = Self.squareRoot(Self.multiply(Self.multiply(target.root, covariance, n: n), target.root, n: n), n: n)
                var distance = 0.0
                for i in 0..<n {
                    distance += (mean[i] - target.mean[i]) * (mean[i] - target.mean[i]) + covariance[i * n + i] + target.covariance[i * n + i]
                        - 2 * rootTrace[i * n + i]
                }
                style += weight * target.k * distance
            }
            return (settings.contentWeight * content + settings.styleWeight * style, style)
        }
        let reference = loss(x.pixels.data.map(Double.init))
        #expect(abs(terms.style - reference.style) / reference.style < 1e-3, "engine \(terms.style), reference \(reference.style)")
        #expect(terms.style > 0)  // content_weight 0: the gradient is the style loss's alone
        let numeric = finiteDifferences(x.pixels.data.map(Double.init), step: 1e-2) { loss($0).total }
        #expect(relativeError(gradient.data.map(Double.init), numeric) < 1e-2)
    }
}

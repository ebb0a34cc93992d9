import Engine
import Foundation
import Testing

/// The spec's losses in float64, written from the spec's formulas, for finite differences.
enum ReferenceLosses {
    static func gram(_ f: Reference.Volume) -> [Double] {
        let n = f.channels, m = f.height * f.width
        var g = [Double](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { for p in 0..<m { g[a * n + b] += f.data[a * m + p] * f.data[b * m + p] } } }
        return g
    }

    static func total(_ image: [Double], height: Int, width: Int, weights: VGGWeights, settings: ObjectiveSettings,
                      contentTargets: [String: Reference.Volume], styleTargets: [String: [Double]]) -> Double {
        let activations = Reference.vgg(weights, image: image, height: height, width: width, depth: 13, pooling: .max)
        var content = 0.0
        for layer in settings.contentLayers {
            content += 0.5 * zip(activations[layer]!.data, contentTargets[layer]!.data).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        var style = 0.0
        for (layer, w) in zip(settings.styleLayers, settings.resolvedStyleLayerWeights) {
            let f = activations[layer]!
            let n = Double(f.channels), m = Double(f.height * f.width)
            // Normalised per position, Ĝ = G / M is compared with targets normalised alike.
            let k = settings.gramNormalisation == .positions ? 1 / m : 1
            let e = zip(gram(f), styleTargets[layer]!).reduce(0) { $0 + (k * $1.0 - $1.1) * (k * $1.0 - $1.1) } / (4 * n * n * k * k * m * m)
            style += w * e
        }
        return settings.contentWeight * content + settings.styleWeight * style + settings.tvWeight * tv(image, height: height, width: width)
    }

    static func tv(_ image: [Double], height: Int, width: Int) -> Double {
        var tv = 0.0
        for c in 0..<3 {
            for i in 0..<height - 1 {
                for j in 0..<width - 1 {
                    let at = (c * height + i) * width + j
                    let a = image[at + width] - image[at], b = image[at + 1] - image[at]
                    tv += pow(a * a + b * b, 1.25)
                }
            }
        }
        return tv
    }
}

@Suite struct ObjectiveTests {
    @Test(arguments: GramNormalisation.allCases)
    func totalObjectiveGradientMatchesFiniteDifferences(normalisation: GramNormalisation) {
        let weights = VGGWeights.random(.vgg16, seed: 41, widthDivisor: 16)
        let network = VGG(weights: weights)
        let (h, w) = (16, 12)
        let content = randomImage(width: w, height: h, seed: 42)
        let styles = [(randomImage(width: 10, height: 14, seed: 43), 2.0), (randomImage(width: 12, height: 16, seed: 44), 1.0)]
        let settings = ObjectiveSettings(contentLayers: ["block3_conv2"], styleLayers: ["block1_conv1", "block2_conv2", "block4_conv1"],
                                         styleLayerWeights: [0.5, 0.3, 0.2], contentWeight: 1, styleWeight: 1e3, tvWeight: 0.5,
                                         gramNormalisation: normalisation)
        let transfer = StyleTransfer(network: network, settings: settings, content: content, styles: styles)
        let x = randomImage(width: w, height: h, seed: 45)
        let (terms, gradient) = transfer.objective.evaluate(x)

        // The same targets, computed by the float64 reference.
        let contentActivations = Reference.vgg(weights, image: content.pixels.data.map(Double.init), height: h, width: w, depth: 13, pooling: .max)
        var styleTargets: [String: [Double]] = [:]
        for layer in settings.styleLayers {
            let grams = styles.map { image, weight in
                let f = Reference.vgg(weights, image: image.pixels.data.map(Double.init), height: image.height, width: image.width,
                                      depth: 13, pooling: .max)[layer]!
                let positions = normalisation == .positions ? Double(f.height * f.width) : 1
                return (ReferenceLosses.gram(f).map { $0 / positions }, weight)
            }
            styleTargets[layer] = grams[0].0.indices.map { i in grams.reduce(0) { $0 + $1.0[i] * $1.1 } / 3 }
        }
        let f: ([Double]) -> Double = {
            ReferenceLosses.total($0, height: h, width: w, weights: weights, settings: settings,
                                  contentTargets: contentActivations, styleTargets: styleTargets)
        }
        let reference = f(x.pixels.data.map(Double.init))
        #expect(abs(terms.total - reference) / reference < 1e-4, "engine \(terms.total), reference \(reference)")
        #expect(terms.content > 0 && terms.style > 0 && terms.tv > 0)
        let numeric = finiteDifferences(x.pixels.data.map(Double.init), step: 1e-3, f)
        #expect(relativeError(gradient.data.map(Double.init), numeric) < 1e-3)
    }

    @Test func totalVariationGradientMatchesFiniteDifferences() {
        let x = randomImage(width: 7, height: 5, seed: 46).pixels
        let (loss, gradient) = TotalVariation.evaluate(x)
        let values = x.data.map(Double.init)
        #expect(abs(loss - ReferenceLosses.tv(values, height: 5, width: 7)) < 1e-9 * loss)
        let numeric = finiteDifferences(values) { ReferenceLosses.tv($0, height: 5, width: 7) }
        #expect(relativeError(gradient.data.map(Double.init), numeric) < 1e-3)
    }

    @Test func lbfgsbFindsTheBoundedMinimum() {
        // f(x) = Σ (x_i − t_i)² with t partly outside [0, 255]: the answer is t clamped.
        let target: [Double] = [-40, 10, 300, 128, 255.5]
        var x = [Double](repeating: 100, count: target.count)
        var reported: [Int] = []
        let stop = LBFGSB(history: 5).minimize(x: &x, lower: 0, upper: 255, iterations: 50, evaluate: { point, g in
            for i in point.indices { g[i] = 2 * (point[i] - target[i]) }
            return zip(point, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }, onIteration: { iteration, _, _, _ in reported.append(iteration); return true })
        #expect(stop != .iterations)  // converged, well before 50
        #expect(reported == Array(1...reported.count))
        #expect(zip(x, [0, 10, 255, 128, 255]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test(arguments: [OptimizerKind.lbfgsb, .adam])
    func renderReportsEveryIterationAndLowersTheLoss(optimizer: OptimizerKind) {
        let network = VGG(weights: VGGWeights.random(.vgg16, seed: 47, widthDivisor: 16))
        let content = randomImage(width: 16, height: 16, seed: 48)
        let transfer = StyleTransfer(network: network, settings: ObjectiveSettings(), content: content,
                                     styles: [(randomImage(width: 16, height: 16, seed: 49), 1)])
        var reports: [IterationReport] = []
        let settings = RenderSettings(iterations: 8, optimizer: optimizer, adam: Adam(learningRate: 2))
        let result = transfer.render(from: StyleTransfer.noise(width: 16, height: 16, seed: 1), settings: settings) {
            reports.append($0)
            return true
        }
        #expect(reports.map(\.iteration) == Array(0...8))
        #expect(reports.last!.terms.total < reports.first!.terms.total)
        #expect(result.image == reports.last!.image)
        // The reported loss is the reported image's own.
        #expect(abs(transfer.objective.evaluate(result.image).terms.total - reports.last!.terms.total) <= 1e-6 * reports.last!.terms.total)
        var stoppedAt = 0
        let stopped = transfer.render(from: content, settings: settings) { stoppedAt = $0.iteration; return $0.iteration < 3 }
        #expect(stopped.stop == .cancelled && stoppedAt == 3)
    }

    /// A render stopped at a checkpoint and resumed from it ends exactly where the unbroken
    /// render ends: same losses at every later iteration, same image to the bit. Another
    /// problem is optimised in between, so that no state hidden inside the optimiser (the
    /// Fortran code's, say) could carry the resumed run.
    @Test(arguments: [(OptimizerKind.lbfgsb, 0.0), (.adam, 0), (.adam, 0.9)])
    func aResumedRenderEqualsTheUnbrokenOne(optimizer: OptimizerKind, averageDecay: Double) {
        let network = VGG(weights: VGGWeights.random(.vgg16, seed: 50, widthDivisor: 16))
        // 16 px a side at least: block5_conv1 lies behind four poolings.
        let transfer = StyleTransfer(network: network, settings: ObjectiveSettings(), content: randomImage(width: 20, height: 16, seed: 51),
                                     styles: [(randomImage(width: 16, height: 16, seed: 52), 1)])
        let start = StyleTransfer.noise(width: 20, height: 16, seed: 3)
        let settings = RenderSettings(iterations: 10, optimizer: optimizer, adam: Adam(learningRate: 2), averageDecay: averageDecay)
        var unbroken: [Double] = []
        let whole = transfer.render(from: start, settings: settings) { unbroken.append($0.terms.total); return true }

        var checkpoint: RenderCheckpoint?
        _ = transfer.render(from: start, settings: settings, wantsCheckpoint: { $0 == 4 }) { report in
            checkpoint = report.checkpoint ?? checkpoint
            return report.iteration < 4
        }
        #expect(checkpoint?.iteration == 4)
        var other = [Double](repeating: 50, count: 7)
        _ = settings.lbfgsb.minimize(x: &other, lower: 0, upper: 255, iterations: 5, evaluate: { point, g in
            for i in point.indices { g[i] = 2 * (point[i] - 99) }
            return point.reduce(0) { $0 + ($1 - 99) * ($1 - 99) }
        }, onIteration: { _, _, _, _ in true })

        var resumed: [(iteration: Int, loss: Double)] = []
        let rest = transfer.render(from: checkpoint!.image, settings: settings, resume: checkpoint) {
            resumed.append(($0.iteration, $0.terms.total))
            return true
        }
        #expect(resumed.map(\.iteration) == Array(5...10))
        #expect(resumed.map(\.loss) == Array(unbroken[5...10]))
        #expect(rest.image == whole.image)
        // A state that does not fit (another size) is refused, not misread.
        let wrong = transfer.render(from: randomImage(width: 12, height: 12, seed: 53), settings: settings, resume: checkpoint) { _ in true }
        #expect({ if case .abnormal = wrong.stop { true } else { false } }())
    }
}

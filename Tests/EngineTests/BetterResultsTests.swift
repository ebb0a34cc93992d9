import Engine
import Foundation
import Testing

/// Colour preservation, the histogram loss and the coarse-to-fine schedule.
@Suite struct BetterResultsTests {
    static func photo(_ name: String, side: Int) throws -> RGBImage {
        try ImageFile.read(TestPaths.image(name)).resized(longerSide: side)
    }

    /// The result's luminance with the content's chroma: I and Q are the content's wherever
    /// no channel had to be clipped to 0…255, and Y is the result's.
    @Test func luminanceTransferKeepsTheContentsChroma() throws {
        let content = try Self.photo("fruits.jpg", side: 64), styled = try Self.photo("starry_night.jpg", side: 64).resized(width: content.width, height: content.height)
        let combined = ColourTransfer.combine(luminanceOf: styled, chromaOf: content)
        let (a, b, c) = (ColourTransfer.yiq(combined).data, ColourTransfer.yiq(content).data, ColourTransfer.yiq(styled).data)
        let plane = content.width * content.height
        var checked = 0
        for i in 0..<plane where (0..<3).allSatisfy({ combined.pixels.data[$0 * plane + i] > 0 && combined.pixels.data[$0 * plane + i] < 255 }) {
            checked += 1
            #expect(abs(a[i] - c[i]) < 1e-3 && abs(a[plane + i] - b[plane + i]) < 1e-3 && abs(a[2 * plane + i] - b[2 * plane + i]) < 1e-3)
        }
        #expect(checked > plane / 2)  // a far-fetched pairing: the Starry Night's light with the fruit's colours
        // A grey image has no chroma, so luminance-only inputs carry none.
        let grey = ColourTransfer.yiq(ColourTransfer.grey(content)).data
        #expect(grey[plane...].allSatisfy { abs($0) < 1e-3 })
        // The style's luminance takes the content's mean and deviation.
        let matched = ColourTransfer.luminance(of: try Self.photo("starry_night.jpg", side: 64), matchedTo: content)
        func meanAndDeviation(_ image: RGBImage) -> (Double, Double) {
            let y = ColourTransfer.yiq(image).data[0..<(image.width * image.height)].map(Double.init)
            let mean = y.reduce(0, +) / Double(y.count)
            return (mean, (y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(y.count)).squareRoot())
        }
        let (matchedMean, matchedDeviation) = meanAndDeviation(matched), (contentMean, contentDeviation) = meanAndDeviation(content)
        #expect(abs(matchedMean - contentMean) < 1 && abs(matchedDeviation - contentDeviation) < 1)
    }

    /// The recoloured style's RGB mean and covariance are the content's (to 1e-3).
    @Test func histogramMatchingGivesTheStyleTheContentsColourStatistics() throws {
        let content = try Self.photo("fruits.jpg", side: 96), style = try Self.photo("starry_night.jpg", side: 128)
        let recoloured = ColourTransfer.matchColourStatistics(of: style, to: content)
        let (mean, covariance) = ColourTransfer.meanAndCovariance(recoloured)
        let (targetMean, targetCovariance) = ColourTransfer.meanAndCovariance(content)
        let (styleMean, _) = ColourTransfer.meanAndCovariance(style)
        #expect(zip(mean, targetMean).allSatisfy { abs($0 - $1) < 1e-3 }, "\(mean) vs \(targetMean)")
        let scale = targetCovariance.map(abs).max()!
        #expect(zip(covariance, targetCovariance).allSatisfy { abs($0 - $1) / scale < 1e-3 }, "\(covariance) vs \(targetCovariance)")
        #expect(zip(styleMean, targetMean).contains { abs($0 - $1) > 5 })  // it did have to move
    }

    /// R(O) takes the style's distribution, channel by channel: its quantiles are the style's
    /// to within a bin.
    @Test func remappingGivesEachChannelTheStylesHistogram() {
        var generator = SeededGenerator(seed: 60)
        let current = Tensor(channels: 2, height: 20, width: 30, data: (0..<1200).map { _ in Float.random(in: 0...1, using: &generator) })
        // Style channel 0 skewed (squares of uniform values), channel 1 shifted and wider.
        let styleValues = (0..<2400).map { i in i < 1200 ? pow(Float.random(in: 0...1, using: &generator), 2) * 10 : Float.random(in: 5...25, using: &generator) }
        let style = Tensor(channels: 2, height: 30, width: 40, data: styleValues)
        let remapped = HistogramLoss.remap(current, to: ChannelHistograms(blending: [(style, 1)]))
        for c in 0..<2 {
            let ours = remapped.channel(c).sorted(), theirs = style.channel(c).sorted()
            let binWidth = (theirs.last! - theirs.first!) / 256
            for q in [0.1, 0.25, 0.5, 0.75, 0.9] {
                let a = ours[Int(q * Double(ours.count))], b = theirs[Int(q * Double(theirs.count))]
                #expect(abs(a - b) < 3 * binWidth + 0.01 * (theirs.last! - theirs.first!), "channel \(c) quantile \(q): \(a) vs \(b)")
            }
        }
        // Order is kept: the remapping is monotone within a channel.
        let order = current.channel(0).indices.sorted { current.channel(0)[$0] < current.channel(0)[$1] }
        #expect(zip(order, order.dropFirst()).allSatisfy { remapped.channel(0)[$0] <= remapped.channel(0)[$1] })
    }

    /// The histogram loss's value equals a float64 evaluation, and its image gradient (with
    /// R held fixed) agrees with central finite differences.
    @Test func histogramLossGradientMatchesFiniteDifferences() {
        let weights = VGGWeights.random(.vgg16, seed: 61, widthDivisor: 16)
        let network = VGG(weights: weights)
        let (h, w) = (16, 12)
        let settings = ObjectiveSettings(contentLayers: ["block1_conv1"], styleLayers: ["block1_conv1"], contentWeight: 0, styleWeight: 0,
                                         histogramLayers: ["block1_conv2", "block3_conv1"], histogramWeight: 7)
        let transfer = StyleTransfer(network: network, settings: settings, content: randomImage(width: w, height: h, seed: 62),
                                     styles: [(randomImage(width: 14, height: 18, seed: 63), 1)])
        let x = randomImage(width: w, height: h, seed: 64)
        let remapped = transfer.objective.histogramTargets(for: x)
        let (terms, gradient) = transfer.objective.evaluate(x, remapped: remapped)
        #expect(terms.histogram > 0 && terms.total == 7 * terms.histogram)
        #expect(transfer.objective.evaluate(x).terms.histogram == terms.histogram)  // the same R when computed inside
        let f: ([Double]) -> Double = { image in
            let activations = Reference.vgg(weights, image: image, height: h, width: w, depth: 13, pooling: .max)
            return 7 * settings.histogramLayers.reduce(0.0) { sum, layer in
                let o = activations[layer]!.data, r = remapped[layer]!.data
                return sum + zip(o, r).reduce(0) { $0 + ($1.0 - Double($1.1)) * ($1.0 - Double($1.1)) } / Double(o.count) / 2
            }
        }
        let reference = f(x.pixels.data.map(Double.init))
        #expect(abs(terms.total - reference) / reference < 1e-4, "engine \(terms.total), reference \(reference)")
        let numeric = finiteDifferences(x.pixels.data.map(Double.init), step: 1e-3, f)
        #expect(relativeError(gradient.data.map(Double.init), numeric) < 1e-3)
    }

    @Test func coarseToFineShrinksTheSizeByItsFactorAndSpendsMostIterationsSmall() {
        #expect(CoarseToFine.schedule(size: 512, scales: 3, iterations: 700, minimumSize: 64)
                == [.init(size: 128, iterations: 400), .init(size: 256, iterations: 200), .init(size: 512, iterations: 100)])
        #expect(CoarseToFine.schedule(size: 512, scales: 3, iterations: 500, minimumSize: 64).map(\.iterations) == [287, 142, 71])
        #expect(CoarseToFine.schedule(size: 512, scales: 2, iterations: 0, split: [30, 250], minimumSize: 64).map(\.iterations) == [30, 250])
        #expect(CoarseToFine.schedule(size: 100, scales: 3, iterations: 50, minimumSize: 64) == [.init(size: 100, iterations: 50)])
        #expect(CoarseToFine.schedule(size: 300, scales: 1, iterations: 50, minimumSize: 64) == [.init(size: 300, iterations: 50)])
        // √2 steps, each size taken from the full one so rounding does not pile up.
        #expect(CoarseToFine.schedule(size: 512, scales: 5, factor: 2.0.squareRoot(), iterations: 31, minimumSize: 64).map(\.size)
                == [128, 181, 256, 362, 512])
        #expect(CoarseToFine.schedule(size: 100, scales: 4, factor: 1.5, iterations: 10, minimumSize: 64).map(\.size) == [67, 100])
        // The style's weight follows the pixels, keeping its balance with the content's.
        let quarter = CoarseToFine.settings(ObjectiveSettings(styleWeight: 1e4, histogramWeight: 8), pixelRatio: 0.25)
        #expect(quarter.styleWeight == 2500 && quarter.histogramWeight == 2 && quarter.contentWeight == 1)
    }
}

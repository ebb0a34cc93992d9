import Engine
import Foundation
import Testing

/// The recipe's parts that are not a loss's gradient (those are checked against finite
/// differences in ConvolutionTests and ObjectiveTests): the average of iterates, the first
/// layer's padding, and the recipes themselves.
@Suite struct RecipeTests {
    static func transfer(seed: UInt64) -> StyleTransfer {
        let network = VGG(weights: VGGWeights.random(.vgg16, seed: seed, widthDivisor: 16))
        return StyleTransfer(network: network, settings: ObjectiveSettings(), content: randomImage(width: 20, height: 16, seed: seed + 1),
                             styles: [(randomImage(width: 16, height: 16, seed: seed + 2), 1)])
    }

    /// With a decay d, every image shown is Σ (1−d) d^(t−i) x_i / (1 − d^(t+1)) over the
    /// iterates x_0 (the start) … x_t, which a render without averaging shows one by one; the
    /// losses stay the iterates' own.
    @Test func theAverageShownIsTheBiasCorrectedAverageOfTheIterates() {
        let transfer = Self.transfer(seed: 70)
        let start = StyleTransfer.noise(width: 20, height: 16, seed: 4)
        var iterates: [IterationReport] = []
        _ = transfer.render(from: start, settings: RenderSettings(iterations: 6, optimizer: .adam, adam: Adam(learningRate: 3))) {
            iterates.append($0)
            return true
        }
        let decay = 0.7
        var averaged: [IterationReport] = []
        let result = transfer.render(from: start, settings: RenderSettings(iterations: 6, optimizer: .adam, adam: Adam(learningRate: 3),
                                                                         averageDecay: decay)) {
            averaged.append($0)
            return true
        }
        #expect(averaged.map(\.terms) == iterates.map(\.terms))
        for t in averaged.indices {
            var expected = [Double](repeating: 0, count: start.pixels.count)
            for i in 0...t {
                let weight = (1 - decay) * pow(decay, Double(t - i)) / (1 - pow(decay, Double(t + 1)))
                for p in expected.indices { expected[p] += weight * Double(iterates[i].image.pixels.data[p]) }
            }
            let difference = zip(expected, averaged[t].image.pixels.data).map { abs($0 - Double($1)) }.max()!
            #expect(difference < 1e-3, "iteration \(t): \(difference)")
        }
        #expect(result.image == averaged.last!.image)
        // Averaging shows a different picture from the last iterate: the test is not vacuous.
        #expect(averaged.last!.image != iterates.last!.image)
    }

    /// A picture of one flat colour is flat to the first layer under replicate or reflect
    /// padding, so its activations are the same at the edge as in the middle; under the
    /// paper's zero padding they are not (the edge the frame grows from).
    @Test(arguments: EdgePadding.allCases)
    func onlyZeroPaddingShowsTheFirstLayerAnEdge(edges: EdgePadding) {
        let network = VGG(weights: VGGWeights.random(.vgg16, seed: 72, widthDivisor: 16), edges: edges)
        let flat = RGBImage(width: 9, height: 7, fill: 200)
        let features = network.forward(flat, layers: ["block1_conv1"]).activations["block1_conv1"]!
        var spread: Float = 0
        for c in 0..<features.channels {
            let middle = features[c, 3, 4]
            for y in 0..<features.height { for x in 0..<features.width { spread = max(spread, abs(features[c, y, x] - middle)) } }
        }
        if edges == .zero { #expect(spread > 1) } else { #expect(spread < 1e-3) }
    }

    /// `gatys` is the paper: zero padding, max pooling, Grams as sums, equal layer weights, no
    /// averaging and no trimming; `clean` changes what the README's comparison chose.
    @Test func theGatysRecipeIsThePapers() {
        let gatys = Recipe.gatys
        #expect(gatys.edges == .zero && gatys.pooling == .max && gatys.gramNormalisation == .none && gatys.styleLoss == .gram)
        #expect(gatys.averageDecay == 0 && !gatys.trimsStyles && gatys.styleLayerWeights(count: 5) == Array(repeating: 0.2, count: 5))
        #expect(Recipe.clean.trimsStyles && Recipe.clean.edges != .zero)
    }
}

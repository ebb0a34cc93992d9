import Engine
import Foundation
import Testing

/// Evaluating in tiles (Tiling.swift) gives the whole image's loss and gradient.
@Suite struct TilingTests {
    static let weights = VGGWeights.random(.vgg16, seed: 71, widthDivisor: 8)
    static let styleLayers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]

    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (difference / norm).squareRoot()
    }

    /// Two sizes: one a multiple of the core, one not (its last cores are shorter); both
    /// style losses; the clean recipe's edges and Gram normalisation.
    @Test(arguments: [(320, 256), (333, 250)], StyleLossKind.allCases)
    func tiledEvaluationEqualsTheWholeImages(size: (width: Int, height: Int), styleLoss: StyleLossKind) {
        let network = VGG(weights: Self.weights, edges: .replicate)
        let settings = ObjectiveSettings(contentLayers: ["block4_conv2"], styleLayers: Self.styleLayers, contentWeight: 1, styleWeight: 1e4,
                                         tvWeight: 1e-3, gramNormalisation: .positions, styleLoss: styleLoss)
        let content = randomImage(width: size.width, height: size.height, seed: 72)
        let styles = [(randomImage(width: 300, height: 280, seed: 73), 1.0)]
        let whole = StyleTransfer(network: network, settings: settings, content: content, styles: styles).objective
        let tiled = StyleTransfer(network: network, settings: settings, content: content, styles: styles, tileCore: 64).objective

        // The tiles really are parts: more than one, each reading less than the image.
        let tiling = tiled.tiling(width: size.width, height: size.height)
        #expect(tiling.tiles.count >= 20)
        #expect(tiling.tiles.allSatisfy { $0.extent.width < size.width && $0.extent.height < size.height })
        #expect(whole.tiling(width: size.width, height: size.height).isWhole)
        let contentDifference = Self.relativeDifference(tiled.targets.content["block4_conv2"]!.data, whole.targets.content["block4_conv2"]!.data)
        #expect(contentDifference < 1e-5, "content targets put together from cores differ by \(contentDifference)")

        let x = randomImage(width: size.width, height: size.height, seed: 74)
        let (wholeTerms, wholeGradient) = whole.evaluate(x)
        let (tiledTerms, tiledGradient) = tiled.evaluate(x)
        #expect(abs(tiledTerms.total - wholeTerms.total) / wholeTerms.total < 1e-4, "tiled \(tiledTerms.total), whole \(wholeTerms.total)")
        #expect(abs(tiledTerms.content - wholeTerms.content) / wholeTerms.content < 1e-4)
        for layer in Self.styleLayers {
            let (a, b) = (tiledTerms.styleLayers[layer]!, wholeTerms.styleLayers[layer]!)
            #expect(abs(a - b) / b < 1e-4, "\(layer): tiled \(a), whole \(b)")
        }
        let difference = Self.relativeDifference(tiledGradient.data, wholeGradient.data)
        #expect(difference < 1e-4, "gradient differs by \(difference) (relative, L2)")
    }

    /// A render told to stop gives up a long evaluation between two tiles; a whole image's
    /// evaluation (one tile) is never asked.
    @Test func aTiledEvaluationIsGivenUpBetweenTilesOnceAsked() {
        let network = VGG(weights: Self.weights)
        let settings = ObjectiveSettings(styleLayers: Self.styleLayers)
        let (content, styles) = (randomImage(width: 320, height: 256, seed: 76), [(randomImage(width: 200, height: 160, seed: 77), 1.0)])
        let tiled = StyleTransfer(network: network, settings: settings, content: content, styles: styles, tileCore: 64)
        var asked = 0
        #expect(tiled.objective.evaluate(content, abandon: { asked += 1; return asked == 3 }) == nil)
        #expect(asked == 3)
        var wholeAsked = 0
        let whole = StyleTransfer(network: network, settings: settings, content: content, styles: styles)
        #expect(whole.objective.evaluate(content, abandon: { wholeAsked += 1; return true }) != nil)
        #expect(wholeAsked == 0)
        // The render ends cancelled, with nothing reported past the stop.
        var reports = 0
        let rendered = tiled.render(from: content, settings: RenderSettings(objective: settings, iterations: 5), isStopping: { reports >= 2 }) { _ in
            reports += 1
            return true
        }
        #expect(rendered.stop == .cancelled)
        #expect(reports == 2)
    }

    /// The halo covers the receptive field: a change of one pixel changes no feature of the
    /// deepest layer further than the halo from it, and does change some near that far
    /// (average pooling, as max pooling passes a change on only where it wins). The reach is the
    /// network's, so it is measured with im2col, where an output's rounding depends on its own
    /// 3×3 window alone; Winograd rounds each output through its whole tile, and a change one
    /// pixel inside a tile alters its far outputs in the last bit.
    @Test func theHaloCoversTheReceptiveField() {
        let network = VGG(weights: Self.weights, pooling: .average, algorithm: GEMMConvolution())
        let halo = network.halo(forDepth: network.index(of: "block5_conv1")! + 1)
        #expect(halo == 64)  // 2·1 + 2·2 + 3·4 + 3·8 + 16 = 58 px of reach, rounded up to the pooling stride
        let image = randomImage(width: 256, height: 256, seed: 75)
        var changed = image
        let (py, px) = (128, 128)
        for c in 0..<3 { changed.pixels[c, py, px] = 255 - changed.pixels[c, py, px] }
        let a = network.forward(image, layers: ["block5_conv1"]).activations["block5_conv1"]!
        let b = network.forward(changed, layers: ["block5_conv1"]).activations["block5_conv1"]!
        var reach = 0
        for c in 0..<a.channels {
            for y in 0..<a.height {
                for x in 0..<a.width where a[c, y, x] != b[c, y, x] {
                    // The feature at (y, x) sees pixels 16y...16y + 15 and beyond; its distance to the pixel:
                    let dy = max(0, max(16 * y - py, py - (16 * y + 15))), dx = max(0, max(16 * x - px, px - (16 * x + 15)))
                    reach = max(reach, dy, dx)
                }
            }
        }
        #expect(reach <= halo, "a feature \(reach) px away changed")
        #expect(reach > halo - 16, "the halo is wider than it needs to be: reach \(reach)")
    }
}

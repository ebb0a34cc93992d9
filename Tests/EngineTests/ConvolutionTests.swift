import Engine
import Foundation
import Testing

@Suite struct ConvolutionTests {
    static func randomWeights(input: Int, output: Int, seed: UInt64) -> ConvolutionWeights {
        var generator = SeededGenerator(seed: seed)
        return ConvolutionWeights(name: "test", inputChannels: input, outputChannels: output,
                                  kernel: (0..<output * input * 9).map { _ in generator.nextGaussian() },
                                  bias: (0..<output).map { _ in generator.nextGaussian() })
    }

    static func randomTensor(_ c: Int, _ h: Int, _ w: Int, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(channels: c, height: h, width: w, data: (0..<c * h * w).map { _ in generator.nextGaussian() })
    }

    static func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Float {
        let scale = b.data.map(abs).max() ?? 1
        return zip(a.data, b.data).map { abs($0 - $1) }.max()! / max(scale, 1e-20)
    }

    // (input channels, output channels, height, width): odd sizes, one-row and one-column
    // images, and both backward routes (Cin < Cout folds Wᵀ·dY; otherwise the rotated kernel);
    // sides that are multiples of Winograd's tiles, both or one (its tile rows are written in
    // place where they lie within the image, through a buffer where they reach past it); rows of
    // at least 16 tiles, which run the C transforms' vector loops (16 tiles a step with AVX-512,
    // then the rest).
    static let shapes = [(3, 8, 13, 17), (5, 4, 1, 9), (4, 6, 7, 1), (16, 16, 31, 33), (12, 5, 64, 3), (32, 48, 10, 10),
                         (16, 16, 12, 8), (16, 16, 9, 8), (16, 16, 8, 9), (16, 16, 6, 4), (16, 16, 9, 70), (16, 16, 8, 64)]

    // Small bands, so that several bands and both workers take part even on small images;
    // Winograd with no channel minimum, so that it handles every shape itself.
    static let algorithms: [(String, ConvolutionAlgorithm)] = [
        ("gemm", GEMMConvolution(bandColumns: 16)),
        ("winograd2", WinogradConvolution(tile: .f2x2, bandTiles: 8, minimumChannels: 1)),
        ("winograd4", WinogradConvolution(tile: .f4x4, bandTiles: 8, minimumChannels: 1)),
    ]

    @Test(arguments: shapes, algorithms.map(\.0))
    func fastConvolutionEqualsDirectForwardAndBackward(shape: (Int, Int, Int, Int), algorithm: String) {
        let (cin, cout, h, w) = shape
        let weights = Self.randomWeights(input: cin, output: cout, seed: UInt64(cin * 100 + cout))
        let gemm = Conv2D(weights: weights, algorithm: Self.algorithms.first { $0.0 == algorithm }!.1)
        let direct = Conv2D(weights: weights, algorithm: DirectConvolution())
        let x = Self.randomTensor(cin, h, w, seed: 7)
        for relu in [false, true] {
            #expect(Self.maxRelativeError(gemm.forward(x, relu: relu), direct.forward(x, relu: relu)) < 1e-5)
        }
        let dy = Self.randomTensor(cout, h, w, seed: 8)
        #expect(Self.maxRelativeError(gemm.backward(dy), direct.backward(dy)) < 1e-5)
        // Through the ReLU after the layer: dY kept where its output is positive (about half).
        let y = gemm.forward(x, relu: true)
        let kept = Tensor(channels: cout, height: h, width: w, data: zip(dy.data, y.data).map { $1 > 0 ? $0 : 0 })
        #expect(y.data.contains(0) && y.data.contains { $0 > 0 })
        #expect(Self.maxRelativeError(gemm.backward(dy, throughReLU: y), direct.backward(kept)) < 1e-5)
    }

    /// By size, F(4×4) takes layers of 64×64 positions and more, F(2×2) smaller ones.
    @Test func winogradBySizeTakesTheLargeTileOnLargeLayers() {
        let weights = Self.randomWeights(input: 16, output: 16, seed: 41)
        func output(_ tile: WinogradConvolution.Tile, _ h: Int, _ w: Int) -> Tensor {
            Conv2D(weights: weights, algorithm: WinogradConvolution(tile: tile)).forward(Self.randomTensor(16, h, w, seed: 42))
        }
        #expect(output(.bySize, 64, 64) == output(.f4x4, 64, 64))
        #expect(output(.bySize, 63, 64) == output(.f2x2, 63, 64))
        #expect(output(.f4x4, 64, 64) != output(.f2x2, 64, 64))
    }

    /// The direct convolution's backward is the rotated-kernel convolution; check it against
    /// the definition, ⟨dy, conv(x)⟩ differentiated by finite differences in float64.
    @Test func convolutionGradientMatchesFiniteDifferences() {
        let weights = Self.randomWeights(input: 3, output: 4, seed: 3)
        let conv = Conv2D(weights: weights)
        let x = Self.randomTensor(3, 6, 5, seed: 4), dy = Self.randomTensor(4, 6, 5, seed: 5)
        let analytic = conv.backward(dy).data.map(Double.init)
        let numeric = finiteDifferences(x.data.map(Double.init)) { values in
            let y = Reference.conv(Reference.Volume(channels: 3, height: 6, width: 5, data: values), weights, relu: false)
            return zip(y.data, dy.data).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        #expect(relativeError(analytic, numeric) < 1e-3)
    }

    /// Odd sides, whose last row and column are dropped; rows of 3 outputs, and of 37, which also
    /// run the pooling kernels' vector loops (up to 16 outputs a step, then the rest).
    @Test(arguments: [Pooling.max, Pooling.average], [(7, 7), (5, 75)])
    func poolAndReLUGradientsMatchFiniteDifferences(kind: Pooling, side: (height: Int, width: Int)) {
        let (height, width) = side
        let x = Self.randomTensor(2, height, width, seed: 9)
        let pooled = Pool.forward(x, kind)
        #expect(pooled.output.height == height / 2 && pooled.output.width == width / 2)
        let expected = Reference.pool(Reference.Volume(channels: 2, height: height, width: width, data: x.data.map(Double.init)), kind)
        #expect(relativeError(pooled.output.data.map(Double.init), expected.data) < 1e-6)
        let dy = Self.randomTensor(2, height / 2, width / 2, seed: 10)
        let analytic = Pool.backward(dy, kind, winners: pooled.winners, inputHeight: height, inputWidth: width).data.map(Double.init)
        let numeric = finiteDifferences(x.data.map(Double.init)) { values in
            let y = Reference.pool(Reference.Volume(channels: 2, height: height, width: width, data: values), kind)
            return zip(y.data, dy.data).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        #expect(relativeError(analytic, numeric) < 1e-3)

        let relu = x.data.map { max(0, $0) }
        let g = Self.randomTensor(2, height, width, seed: 11)
        var reluAnalytic = [Float](repeating: .nan, count: g.count)
        ReLU.backward(g.data, output: relu, count: g.count, into: &reluAnalytic)
        let reluNumeric = finiteDifferences(x.data.map(Double.init)) { values in
            zip(values, g.data).reduce(0) { $0 + max(0, $1.0) * Double($1.1) }
        }
        #expect(relativeError(reluAnalytic.map(Double.init), reluNumeric) < 1e-3)
    }

    /// Every pooling and every padding of the first layer, against the float64 reference.
    @Test(arguments: [(Pooling.max, EdgePadding.zero), (.average, .zero), (.scaledAverage, .replicate), (.max, .reflect)])
    func vggImageGradientMatchesFiniteDifferences(pooling: Pooling, edges: EdgePadding) {
        // A VGG16-shaped network, 16 times narrower, on a 16×12 image, losses at three depths.
        let weights = VGGWeights.random(.vgg16, seed: 21, widthDivisor: 16)
        let network = VGG(weights: weights, pooling: pooling, edges: edges)
        let image = randomImage(width: 12, height: 16, seed: 22)
        let layers = ["block1_conv2", "block3_conv1", "block4_conv2"]
        let pass = network.forward(image, layers: layers)
        var projections: [String: Tensor] = [:]
        for (i, layer) in layers.enumerated() {
            let a = pass.activations[layer]!
            projections[layer] = Self.randomTensor(a.channels, a.height, a.width, seed: 30 + UInt64(i))
        }
        let analytic = network.backward(pass, gradients: projections).data.map(Double.init)
        let numeric = finiteDifferences(image.pixels.data.map(Double.init), step: 1e-3) { values in
            let activations = Reference.vgg(weights, image: values, height: 16, width: 12, depth: 9, pooling: pooling, edges: edges)
            return layers.reduce(0) { total, layer in
                total + zip(activations[layer]!.data, projections[layer]!.data).reduce(0) { $0 + $1.0 * Double($1.1) }
            }
        }
        #expect(relativeError(analytic, numeric) < 1e-3)
    }
}

/// Central differences of `f` at `x` in float64, for every coordinate.
func finiteDifferences(_ x: [Double], step: Double = 1e-4, _ f: ([Double]) -> Double) -> [Double] {
    var probe = x
    return x.indices.map { i in
        probe[i] = x[i] + step
        let plus = f(probe)
        probe[i] = x[i] - step
        let minus = f(probe)
        probe[i] = x[i]
        return (plus - minus) / (2 * step)
    }
}

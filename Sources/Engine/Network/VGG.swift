// VGG16/VGG19, convolution part only, built from its table (`VGGArchitecture`): blocks of
// 3×3 convolutions each followed by ReLU, a 2×2 pooling between blocks. A forward pass
// stops at the deepest layer a loss asks for and keeps what the backward pass needs (each
// convolution's post-ReLU output and each max-pool's winners); the backward pass takes the
// losses' gradients at those layers and returns one gradient for the image.

public final class VGG: Sendable {
    public let architecture: VGGArchitecture
    public let input: InputConvention
    public let pooling: Pooling
    /// What the first convolution sees beyond the image's edge (EdgePadding.swift).
    public let edges: EdgePadding
    public let layerNames: [String]
    let convolutions: [Conv2D]
    /// Indices of the convolutions that open a block after the first (a pool precedes them).
    let blockStarts: Set<Int>

    public init(weights: VGGWeights, pooling: Pooling = .max, edges: EdgePadding = .zero,
                algorithm: ConvolutionAlgorithm = WinogradConvolution()) {
        architecture = weights.architecture
        input = weights.input
        self.pooling = pooling
        self.edges = edges
        layerNames = weights.convolutions.map(\.name)
        convolutions = weights.convolutions.map { Conv2D(weights: $0, algorithm: algorithm) }
        var starts = Set<Int>(), index = 0
        for count in architecture.convolutionsPerBlock.dropLast() {
            index += count
            starts.insert(index)
        }
        blockStarts = starts
    }

    public func index(of layer: String) -> Int? { layerNames.firstIndex(of: layer) }

    /// The smallest image side for which the first `depth` layers still have at least one
    /// position (each pooling halves the side).
    public func minimumSide(forDepth depth: Int) -> Int {
        1 << blockStarts.filter { $0 < depth }.count
    }

    /// M at `layer` for an image of `height` × `width`: each pooling before it halves the sides.
    public func positions(at layer: String, height: Int, width: Int) -> Int {
        let poolings = poolings(at: layer)
        return (height >> poolings) * (width >> poolings)
    }

    /// What a forward pass leaves for the backward pass.
    public struct Pass: Sendable {
        /// The post-ReLU activations of the requested layers.
        public let activations: [String: Tensor]
        let outputs: [Tensor]
        let winners: [Int: [UInt8]]
        let imageHeight: Int
        let imageWidth: Int
    }

    public func forward(_ image: RGBImage, layers: some Sequence<String>) -> Pass {
        let requested = Set(layers)
        let indices = requested.map { name -> Int in
            guard let i = index(of: name) else { preconditionFailure("\(architecture.rawValue) has no layer \(name)") }
            return i
        }
        let depth = (indices.max() ?? -1) + 1
        precondition(min(image.width, image.height) >= minimumSide(forDepth: depth),
                     "a \(image.width)×\(image.height) image is too small for \(depth) layers of \(architecture.rawValue)")
        var x = preprocess(image)
        var outputs: [Tensor] = []
        var winners: [Int: [UInt8]] = [:]
        for i in 0..<depth {
            if blockStarts.contains(i) {
                let pooled = Pool.forward(x, pooling)
                winners[i] = pooled.winners
                x = pooled.output
            }
            x = i == 0 && edges != .zero ? EdgePadding.crop(convolutions[0].forward(edges.pad(x), relu: true))
                                         : convolutions[i].forward(x, relu: true)
            outputs.append(x)
        }
        var activations: [String: Tensor] = [:]
        for i in indices { activations[layerNames[i]] = outputs[i] }
        return Pass(activations: activations, outputs: outputs, winners: winners, imageHeight: image.height, imageWidth: image.width)
    }

    /// The gradient with respect to the image (RGB, 0...255 scale) of a loss whose gradients
    /// with respect to the activations of some layers of `pass` are given.
    public func backward(_ pass: Pass, gradients: [String: Tensor]) -> Tensor {
        var flowing: Tensor?
        for i in pass.outputs.indices.reversed() {
            if let local = gradients[layerNames[i]] {
                if flowing == nil { flowing = local } else { flowing!.add(local) }
            }
            guard let above = flowing else { continue }
            var g = i == 0 && edges != .zero ? edges.fold(convolutions[0].backward(EdgePadding.surround(above, throughReLU: pass.outputs[0])))
                                             : convolutions[i].backward(above, throughReLU: pass.outputs[i])
            if let poolWinners = pass.winners[i] {
                let below = pass.outputs[i - 1]
                g = Pool.backward(g, pooling, winners: poolWinners, inputHeight: below.height, inputWidth: below.width)
            }
            flowing = g
        }
        guard let g = flowing else { return Tensor(channels: 3, height: pass.imageHeight, width: pass.imageWidth) }
        return preprocessBackward(g)
    }

    // MARK: Input convention (see the objective spec)

    static let caffeMeanBGR: [Float] = [103.939, 116.779, 123.68]
    static let torchMean: [Float] = [0.485, 0.456, 0.406]
    static let torchStd: [Float] = [0.229, 0.224, 0.225]

    /// What the network sees of an RGB 0...255 image.
    public func preprocess(_ image: RGBImage) -> Tensor {
        var x = Tensor(channels: 3, height: image.height, width: image.width)
        let plane = x.plane
        for c in 0..<3 {
            let (source, scale, shift) = channelMap(c)
            for p in 0..<plane { x.data[c * plane + p] = image.pixels.data[source * plane + p] * scale + shift }
        }
        return x
    }

    /// The gradient with respect to the RGB image, given it with respect to `preprocess`'s output.
    func preprocessBackward(_ gradient: Tensor) -> Tensor {
        var g = Tensor(channels: 3, height: gradient.height, width: gradient.width)
        let plane = g.plane
        for c in 0..<3 {
            let (source, scale, _) = channelMap(c)
            for p in 0..<plane { g.data[source * plane + p] = gradient.data[c * plane + p] * scale }
        }
        return g
    }

    /// Network input channel c = image channel `source` · scale + shift.
    private func channelMap(_ c: Int) -> (source: Int, scale: Float, shift: Float) {
        switch input {
        case .caffeBGR: (2 - c, 1, -Self.caffeMeanBGR[c])
        case .torchRGB: (c, 1 / (255 * Self.torchStd[c]), -Self.torchMean[c] / Self.torchStd[c])
        }
    }
}

extension VGG {
    /// Floating-point operations of one forward pass to `layer` on an image of the given size,
    /// counting a multiply-add as two (the backward pass to the image costs the same again).
    public func forwardFLOPs(to layer: String, height: Int, width: Int) -> Double {
        guard let last = index(of: layer) else { return 0 }
        var h = height, w = width, flops = 0.0
        for i in 0...last {
            if blockStarts.contains(i) { h /= 2; w /= 2 }
            flops += 2 * Double(convolutions[i].outputChannels * convolutions[i].inputChannels * 9 * h * w)
        }
        return flops
    }
}

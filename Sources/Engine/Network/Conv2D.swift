// 3×3 convolution, padding 1, stride 1, on CHW tensors — the layer where nearly all of
// style transfer's time goes. The weights are frozen (only the image is optimised), so the
// backward pass computes the gradient with respect to the input only, never the weights.
//
// How it is computed is a `ConvolutionAlgorithm`: im2col and GEMM (GEMMConvolution.swift),
// Winograd's minimal filtering (WinogradConvolution.swift), or the plain loops that are the
// tests' reference (DirectConvolution.swift).

/// What to do to each output value after the convolution: add the channel's bias, then
/// optionally clamp at zero (ReLU). Fused into the convolution's bands while they are in cache.
public struct ConvolutionEpilogue {
    public var bias: UnsafePointer<Float>?
    public var relu: Bool

    public static let none = ConvolutionEpilogue(bias: nil, relu: false)
}

/// One algorithm for the convolution and its input gradient (3×3, padding 1). Implementations
/// must agree with `DirectConvolution` (the reference) to float rounding.
public protocol ConvolutionAlgorithm: Sendable {
    /// output = epilogue(kernel ⋆ input); kernel is O × I × 3 × 3.
    func convolve(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                  kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                  epilogue: ConvolutionEpilogue)

    /// inputGradient = ∂(kernel ⋆ X)/∂X applied to dY. dY is `outputGradient`, or, given
    /// `reluOutput` (the output Y of the ReLU that followed the convolution), `outputGradient`
    /// taken back through that ReLU: kept where Y > 0, else 0. The fast algorithms apply it while
    /// they first copy the gradient, rather than in a pass of its own over memory; the default
    /// (the reference's) makes one masked copy. `transposedKernel` is the kernel
    /// rotated by 180° with its channels swapped (I × O × 3 × 3), so this may simply be
    /// `convolve` of dY with it.
    func backward(outputGradient: UnsafePointer<Float>, reluOutput: UnsafePointer<Float>?, outputChannels: Int,
                  height: Int, width: Int, kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>,
                  inputChannels: Int, inputGradient: UnsafeMutablePointer<Float>)
}

extension ConvolutionAlgorithm {
    public func backward(outputGradient: UnsafePointer<Float>, reluOutput: UnsafePointer<Float>?, outputChannels: Int,
                         height: Int, width: Int, kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>,
                         inputChannels: Int, inputGradient: UnsafeMutablePointer<Float>) {
        // The rotated-kernel convolution of dY.
        func convolveRotated(_ dy: UnsafePointer<Float>) {
            convolve(input: dy, channels: outputChannels, height: height, width: width,
                     kernel: transposedKernel, outputChannels: inputChannels, output: inputGradient, epilogue: .none)
        }
        guard let reluOutput else { return convolveRotated(outputGradient) }
        let count = outputChannels * height * width
        let dy = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { dy.deallocate() }
        ReLU.backward(outputGradient, output: reluOutput, count: count, into: dy)
        convolveRotated(dy)
    }
}

/// An algorithm that copies its input into buffers of its own before multiplying, and so can
/// take it back through a ReLU on the way: ReLU's backward pass then costs no pass over memory.
public protocol ReLUFusingConvolution: ConvolutionAlgorithm {
    /// `convolve` of `input`, or, given `reluOutput`, of `input` kept where `reluOutput` > 0.
    func convolve(input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int, height: Int, width: Int,
                  kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                  epilogue: ConvolutionEpilogue)
}

extension ReLUFusingConvolution {
    public func convolve(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        convolve(input: input, throughReLU: nil, channels: channels, height: height, width: width, kernel: kernel,
                 outputChannels: outputChannels, output: output, epilogue: epilogue)
    }
}

public struct Conv2D: Sendable {
    public let inputChannels: Int
    public let outputChannels: Int
    /// O × I × 3 × 3.
    public let kernel: [Float]
    public let bias: [Float]
    /// I × O × 3 × 3: the kernel rotated by 180° with its channels swapped (the backward kernel).
    public let transposedKernel: [Float]
    public let algorithm: ConvolutionAlgorithm

    public init(weights: ConvolutionWeights, algorithm: ConvolutionAlgorithm = GEMMConvolution()) {
        inputChannels = weights.inputChannels
        outputChannels = weights.outputChannels
        kernel = weights.kernel
        bias = weights.bias
        self.algorithm = algorithm
        var transposed = [Float](repeating: 0, count: kernel.count)
        for o in 0..<outputChannels {
            for i in 0..<inputChannels {
                for t in 0..<9 { transposed[(i * outputChannels + o) * 9 + (8 - t)] = kernel[(o * inputChannels + i) * 9 + t] }
            }
        }
        transposedKernel = transposed
    }

    /// Y = W ⋆ X + b, and ReLU(Y) if `relu`.
    public func forward(_ input: Tensor, relu: Bool = false) -> Tensor {
        precondition(input.channels == inputChannels, "conv expects \(inputChannels) channels, got \(input.channels)")
        return Tensor(channels: outputChannels, height: input.height, width: input.width) { y in
            input.data.withUnsafeBufferPointer { x in
                kernel.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        algorithm.convolve(input: x.baseAddress!, channels: inputChannels, height: input.height, width: input.width,
                                           kernel: w.baseAddress!, outputChannels: outputChannels, output: y,
                                           epilogue: ConvolutionEpilogue(bias: b.baseAddress!, relu: relu))
                    }
                }
            }
        }
    }

    /// dL/dX given dL/dY, or, given `reluOutput` (the ReLU's output Y after this layer), given
    /// dL/dY' for Y = ReLU(Y').
    public func backward(_ outputGradient: Tensor, throughReLU reluOutput: Tensor? = nil) -> Tensor {
        precondition(outputGradient.channels == outputChannels && reluOutput.map { $0.count == outputGradient.count } ?? true)
        return Tensor(channels: inputChannels, height: outputGradient.height, width: outputGradient.width) { dx in
            outputGradient.data.withUnsafeBufferPointer { dy in
                kernel.withUnsafeBufferPointer { w in
                    transposedKernel.withUnsafeBufferPointer { wt in
                        withBaseAddress(reluOutput?.data) { y in
                            algorithm.backward(outputGradient: dy.baseAddress!, reluOutput: y, outputChannels: outputChannels,
                                               height: outputGradient.height, width: outputGradient.width,
                                               kernel: w.baseAddress!, transposedKernel: wt.baseAddress!,
                                               inputChannels: inputChannels, inputGradient: dx)
                        }
                    }
                }
            }
        }
    }
}

/// `body` with the array's first element's address, or nil when there is no array.
private func withBaseAddress<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}

import Foundation

// 3×3 convolution, padding 1, stride 1, on CHW tensors — the layer where nearly all of
// style transfer's time goes. The weights are frozen (only the image is optimised), so the
// backward pass computes the gradient with respect to the input only, never the weights.
//
// Forward:  Y = W ⋆ X + b, as one GEMM per band of rows: Y[Cout, rows·W] = W[Cout, Cin·9] ·
//           col[Cin·9, rows·W], where col is X unfolded (im2col) for those rows.
// Backward: dX = Wᵀ · dY folded back (col2im). For a 3×3 kernel with padding 1 that is the
//           same as convolving dY with the kernel rotated by 180° and its in/out channels
//           swapped. The GEMM algorithm takes whichever is cheaper: where a layer widens
//           (Cin < Cout, e.g. the first layer, 3 → 64) Wᵀ·dY makes Cin·9 rows to fold instead
//           of unfolding Cout·9; elsewhere it runs the forward code on the rotated kernel.

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

    /// inputGradient = ∂(kernel ⋆ X)/∂X applied to `outputGradient`. `transposedKernel` is the
    /// kernel rotated by 180° with its channels swapped (I × O × 3 × 3), so this may simply be
    /// `convolve` of the gradient with it.
    func backward(outputGradient: UnsafePointer<Float>, outputChannels: Int, height: Int, width: Int,
                  kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>, inputChannels: Int,
                  inputGradient: UnsafeMutablePointer<Float>)
}

extension ConvolutionAlgorithm {
    public func backward(outputGradient: UnsafePointer<Float>, outputChannels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>, inputChannels: Int,
                         inputGradient: UnsafeMutablePointer<Float>) {
        convolve(input: outputGradient, channels: outputChannels, height: height, width: width,
                 kernel: transposedKernel, outputChannels: inputChannels, output: inputGradient, epilogue: .none)
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

    /// dL/dX given dL/dY.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(outputGradient.channels == outputChannels)
        return Tensor(channels: inputChannels, height: outputGradient.height, width: outputGradient.width) { dx in
            outputGradient.data.withUnsafeBufferPointer { dy in
                kernel.withUnsafeBufferPointer { w in
                    transposedKernel.withUnsafeBufferPointer { wt in
                        algorithm.backward(outputGradient: dy.baseAddress!, outputChannels: outputChannels,
                                           height: outputGradient.height, width: outputGradient.width,
                                           kernel: w.baseAddress!, transposedKernel: wt.baseAddress!,
                                           inputChannels: inputChannels, inputGradient: dx)
                    }
                }
            }
        }
    }
}

/// im2col + `cblas_sgemm`, in bands of rows so that the unfolded input stays bounded
/// (a whole 512×512×64 layer would unfold to 600 MB) and stays warm in cache for its GEMM.
/// Each worker takes every n-th band, unfolds it into its own buffer and multiplies it with
/// single-threaded BLAS, then applies the epilogue to its band of the output.
public struct GEMMConvolution: ConvolutionAlgorithm {
    /// How many output positions (columns of the GEMM) a band aims for: enough that packing
    /// the kernel is repaid, few enough that the unfolded band stays in cache.
    public var bandColumns: Int

    public init(bandColumns: Int = Int(ProcessInfo.processInfo.environment["STYLED_BAND_COLUMNS"] ?? "") ?? 2048) {
        self.bandColumns = bandColumns
    }

    public func convolve(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        let k = channels * 9, plane = height * width
        let rowsPerBand = max(1, min((height + Parallel.workers - 1) / Parallel.workers, (bandColumns + width - 1) / width))
        let bands = (height + rowsPerBand - 1) / rowsPerBand
        Parallel.run { worker in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * rowsPerBand * width)
            defer { columns.deallocate() }
            for band in stride(from: worker, to: bands, by: Parallel.workers) {
                let top = band * rowsPerBand, rows = min(rowsPerBand, height - top)
                Self.unfold(input: input, channels: channels, height: height, width: width, top: top, rows: rows, into: columns)
                BLAS.sgemm(m: outputChannels, n: rows * width, k: k, a: kernel, lda: k, b: columns, ldb: rows * width,
                           beta: 0, c: output + top * width, ldc: plane)
                guard epilogue.bias != nil || epilogue.relu else { continue }
                for o in 0..<outputChannels {
                    let segment = output + o * plane + top * width, b = epilogue.bias?[o] ?? 0
                    for p in 0..<rows * width {
                        let value = segment[p] + b
                        segment[p] = epilogue.relu && value < 0 ? 0 : value
                    }
                }
            }
        }
    }

    public func backward(outputGradient: UnsafePointer<Float>, outputChannels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>, inputChannels: Int,
                         inputGradient: UnsafeMutablePointer<Float>) {
        guard inputChannels < outputChannels else {
            convolve(input: outputGradient, channels: outputChannels, height: height, width: width,
                     kernel: transposedKernel, outputChannels: inputChannels, output: inputGradient, epilogue: .none)
            return
        }
        // col = Wᵀ · dY for the band's rows and one halo row either side, then each input
        // position gathers its nine contributions: no two workers write the same row.
        let k = inputChannels * 9, plane = height * width
        let rowsPerBand = max(1, min((height + Parallel.workers - 1) / Parallel.workers, (bandColumns + width - 1) / width))
        let bands = (height + rowsPerBand - 1) / rowsPerBand
        Parallel.run { worker in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * (rowsPerBand + 2) * width)
            defer { columns.deallocate() }
            for band in stride(from: worker, to: bands, by: Parallel.workers) {
                let top = band * rowsPerBand, rows = min(rowsPerBand, height - top)
                let first = max(0, top - 1), last = min(height, top + rows + 1), n = (last - first) * width
                BLAS.sgemm(m: k, n: n, k: outputChannels, a: kernel, lda: k, b: outputGradient + first * width, ldb: plane,
                           beta: 0, c: columns, ldc: n, transposeA: true)
                for c in 0..<inputChannels {
                    for y in top..<top + rows {
                        let target = inputGradient + c * plane + y * width
                        target.update(repeating: 0, count: width)
                        for ky in 0..<3 {
                            // Output row y − ky + 1 saw input row y through kernel row ky.
                            let sourceRow = y - ky + 1
                            guard sourceRow >= first && sourceRow < last else { continue }
                            for kx in 0..<3 {
                                let source = columns + (c * 9 + ky * 3 + kx) * n + (sourceRow - first) * width
                                // Output column x − kx + 1 saw input column x.
                                let from = max(0, kx - 1), to = min(width, width + kx - 1)
                                for x in from..<to { target[x] += source[x - kx + 1] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// im2col for output rows top..<top+rows: row (c·9 + ky·3 + kx) of `columns` holds, for each
    /// output position (y, x), the input X[c, y+ky−1, x+kx−1], or 0 outside the image.
    static func unfold(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                       top: Int, rows: Int, into columns: UnsafeMutablePointer<Float>) {
        let n = rows * width
        for c in 0..<channels {
            let source = input + c * height * width
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let row = columns + (c * 9 + ky * 3 + kx) * n
                    for r in 0..<rows {
                        let target = row + r * width
                        let sy = top + r + ky - 1
                        guard sy >= 0 && sy < height else {
                            target.update(repeating: 0, count: width)
                            continue
                        }
                        let line = source + sy * width
                        switch kx {
                        case 0:
                            target[0] = 0
                            (target + 1).update(from: line, count: width - 1)
                        case 1:
                            target.update(from: line, count: width)
                        default:
                            target.update(from: line + 1, count: width - 1)
                            target[width - 1] = 0
                        }
                    }
                }
            }
        }
    }
}

/// The plain six-loop convolution: slow, obviously right, the reference for tests.
public struct DirectConvolution: ConvolutionAlgorithm {
    public init() {}

    public func convolve(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        for o in 0..<outputChannels {
            for y in 0..<height {
                for x in 0..<width {
                    var sum = Double(epilogue.bias?[o] ?? 0)
                    for c in 0..<channels {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let sy = y + ky - 1, sx = x + kx - 1
                                guard sy >= 0, sy < height, sx >= 0, sx < width else { continue }
                                sum += Double(kernel[((o * channels + c) * 3 + ky) * 3 + kx]) * Double(input[(c * height + sy) * width + sx])
                            }
                        }
                    }
                    output[(o * height + y) * width + x] = epilogue.relu ? Float(max(0, sum)) : Float(sum)
                }
            }
        }
    }
}

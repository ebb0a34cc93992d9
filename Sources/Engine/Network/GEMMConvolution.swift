import Foundation

// Forward:  Y = W ⋆ X + b, as one GEMM per band of rows: Y[Cout, rows·W] = W[Cout, Cin·9] ·
//           col[Cin·9, rows·W], where col is X unfolded (im2col) for those rows.
// Backward: dX = Wᵀ · dY folded back (col2im). For a 3×3 kernel with padding 1 that is the
//           same as convolving dY with the kernel rotated by 180° and its in/out channels
//           swapped. The GEMM algorithm takes whichever is cheaper: where a layer widens
//           (Cin < Cout, e.g. the first layer, 3 → 64) Wᵀ·dY makes Cin·9 rows to fold instead
//           of unfolding Cout·9; elsewhere it runs the forward code on the rotated kernel.

/// im2col + `cblas_sgemm`, in bands of rows so that the unfolded input stays bounded
/// (a whole 512×512×64 layer would unfold to 600 MB) and stays warm in cache for its GEMM.
/// Each worker takes every n-th band, unfolds it into its own buffer and multiplies it with
/// single-threaded BLAS, then applies the epilogue to its band of the output.
public struct GEMMConvolution: ReLUFusingConvolution {
    /// How many output positions (columns of the GEMM) a band aims for: enough that packing
    /// the kernel is repaid, few enough that the unfolded band stays in cache.
    public var bandColumns: Int

    public init(bandColumns: Int = Int(ProcessInfo.processInfo.environment["STYLED_BAND_COLUMNS"] ?? "") ?? 2048) {
        self.bandColumns = bandColumns
    }

    /// ReLU's backward, given `reluOutput`, is applied while unfolding.
    public func convolve(input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int, height: Int,
                         width: Int, kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        let k = channels * 9, plane = height * width
        let rowsPerBand = max(1, min((height + Parallel.workers - 1) / Parallel.workers, (bandColumns + width - 1) / width))
        let bands = (height + rowsPerBand - 1) / rowsPerBand
        Parallel.run { worker in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * rowsPerBand * width)
            defer { columns.deallocate() }
            for band in stride(from: worker, to: bands, by: Parallel.workers) {
                let top = band * rowsPerBand, rows = min(rowsPerBand, height - top)
                Self.unfold(input: input, throughReLU: reluOutput, channels: channels, height: height, width: width,
                            top: top, rows: rows, into: columns)
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

    public func backward(outputGradient: UnsafePointer<Float>, reluOutput: UnsafePointer<Float>?, outputChannels: Int,
                         height: Int, width: Int, kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>,
                         inputChannels: Int, inputGradient: UnsafeMutablePointer<Float>) {
        guard inputChannels < outputChannels else {
            convolve(input: outputGradient, throughReLU: reluOutput, channels: outputChannels, height: height, width: width,
                     kernel: transposedKernel, outputChannels: inputChannels, output: inputGradient, epilogue: .none)
            return
        }
        // col = Wᵀ · dY for the band's rows and one halo row either side, then each input
        // position gathers its nine contributions: no two workers write the same row. Through a
        // ReLU, the band's rows of dY are first copied, kept where its output is positive.
        let k = inputChannels * 9, plane = height * width
        let rowsPerBand = max(1, min((height + Parallel.workers - 1) / Parallel.workers, (bandColumns + width - 1) / width))
        let bands = (height + rowsPerBand - 1) / rowsPerBand
        Parallel.run { worker in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * (rowsPerBand + 2) * width)
            let masked = reluOutput.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: outputChannels * (rowsPerBand + 2) * width) }
            defer { columns.deallocate(); masked?.deallocate() }
            for band in stride(from: worker, to: bands, by: Parallel.workers) {
                let top = band * rowsPerBand, rows = min(rowsPerBand, height - top)
                let first = max(0, top - 1), last = min(height, top + rows + 1), n = (last - first) * width
                var dy = outputGradient + first * width, ldb = plane
                if let reluOutput, let masked {
                    for o in 0..<outputChannels {
                        ReLU.backward(dy + o * plane, output: reluOutput + o * plane + first * width, count: n, into: masked + o * n)
                    }
                    (dy, ldb) = (UnsafePointer(masked), n)
                }
                BLAS.sgemm(m: k, n: n, k: outputChannels, a: kernel, lda: k, b: dy, ldb: ldb,
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
    /// output position (y, x), the input X[c, y+ky−1, x+kx−1], or 0 outside the image; through a
    /// ReLU, X kept where `reluOutput` is positive (a line is masked into `masked` once for its
    /// three kx copies).
    static func unfold(input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int,
                       height: Int, width: Int, top: Int, rows: Int, into columns: UnsafeMutablePointer<Float>) {
        let n = rows * width
        let masked = reluOutput.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: width) }
        defer { masked?.deallocate() }
        for c in 0..<channels {
            for ky in 0..<3 {
                for r in 0..<rows {
                    let sy = top + r + ky - 1
                    guard sy >= 0 && sy < height else {
                        for kx in 0..<3 { (columns + (c * 9 + ky * 3 + kx) * n + r * width).update(repeating: 0, count: width) }
                        continue
                    }
                    var line = input + (c * height + sy) * width
                    if let reluOutput, let masked {
                        ReLU.backward(line, output: reluOutput + (c * height + sy) * width, count: width, into: masked)
                        line = UnsafePointer(masked)
                    }
                    for kx in 0..<3 {
                        let target = columns + (c * 9 + ky * 3 + kx) * n + r * width
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

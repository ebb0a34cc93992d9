import VectorKernels

// The transforms of Winograd's F(n×n, 3×3) (WinogradConvolution.swift has the method): the
// kernels' and the input tiles' into (n+2)² points, and the products' back into n×n outputs.
// Their arithmetic runs on every tile of every call, so it is in C (VectorKernels, whose
// winograd2.c and winograd4.c have the matrices), vectorised across tiles and kernels; here is
// the layout, and the gathering of the image's rows into tiles and back.

/// One F(n×n, 3×3). Transformed values are stored point-major: point ξ = (n+2)·i + j of tile t in
/// channel c at [ξ][c][t], so that each point's values form one GEMM operand; the points are
/// `pointStride` apart.
protocol WinogradTransform {
    /// n: the outputs a tile gives per side; its input tile is n + 2 a side.
    static var outputTile: Int { get }
    /// The C transforms (VectorKernels.h has their contracts): a batch of kernels, and one row of
    /// tiles in and out.
    static var kernelTransform: KernelTransform { get }
    static var inputTransform: InputTransform { get }
    static var outputTransform: OutputTransform { get }
}

typealias KernelTransform = @convention(c) (UnsafePointer<Float>?, Int, UnsafeMutablePointer<Float>?, Int) -> Void
typealias InputTransform = @convention(c) (UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?, Int) -> Void
typealias OutputTransform = @convention(c) (UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?, Int, Float, Float) -> Void

/// F(2×2, 3×3): 16 points for 4 outputs, 2.25× fewer multiplications than direct.
enum WinogradF2: WinogradTransform {
    static let outputTile = 2
    static let kernelTransform: KernelTransform = styled_winograd2_kernels
    static let inputTransform: InputTransform = styled_winograd2_input
    static let outputTransform: OutputTransform = styled_winograd2_output
}

/// F(4×4, 3×3): 36 points for 16 outputs, 4× fewer; Lavin & Gray's interpolation points 0, ±1,
/// ±2 and ∞ (as NNPACK and wincnn).
enum WinogradF4: WinogradTransform {
    static let outputTile = 4
    static let kernelTransform: KernelTransform = styled_winograd4_kernels
    static let inputTransform: InputTransform = styled_winograd4_input
    static let outputTransform: OutputTransform = styled_winograd4_output
}

extension WinogradTransform {
    /// Where point ξ + 1's values start after point ξ's `count`: past them, at an odd number of
    /// cache lines, so that a tile's points (written and read together) do not all fall in one
    /// cache set, as they do a power of two apart (a 512-channel layer at 32×32 took 1.6× as long).
    static func pointStride(_ count: Int) -> Int {
        let lines = (count + 15) / 16
        return (lines | 1) * 16
    }

    /// U[ξ][o][c] = (G g Gᵀ)[ξ] for each 3×3 kernel g = kernel[o][c], the kernels shared out among the workers.
    static func transformKernels(_ kernel: UnsafePointer<Float>, outputChannels: Int, channels: Int) -> [Float] {
        let pairs = outputChannels * channels, stride = pointStride(pairs), points = (outputTile + 2) * (outputTile + 2)
        return [Float](unsafeUninitializedCapacity: points * stride) { u, count in
            let u = u.baseAddress!
            Parallel.forEachRange(pairs, minimum: 1 << 12) { range in
                kernelTransform(kernel + range.lowerBound * 9, range.count, u + range.lowerBound, stride)
            }
            count = points * stride
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the input tile d of each channel and tile of the band (of the
    /// input kept where `reluOutput` > 0, if given).
    static func transformInput(_ input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int,
                               band: WinogradBand, into v: UnsafeMutablePointer<Float>) {
        let stride = pointStride(channels * band.tiles)
        forEachInputRow(input, throughReLU: reluOutput, channels: channels, band: band, into: v) { rows, padded, base in
            inputTransform(rows, padded, band.tileColumns, base, stride)
        }
    }

    /// The band's outputs Y = Aᵀ M A, then the epilogue, from M[ξ][o][t].
    static func transformOutput(_ m: UnsafePointer<Float>, outputChannels: Int, band: WinogradBand, epilogue: ConvolutionEpilogue,
                                into output: UnsafeMutablePointer<Float>) {
        let stride = pointStride(outputChannels * band.tiles)
        forEachOutputRow(m, outputChannels: outputChannels, band: band, epilogue: epilogue, into: output) { rows, padded, base, bias, floor in
            outputTransform(base, stride, band.tileColumns, rows, padded, bias, floor)
        }
    }

    /// For each channel and tile row of the band: the tile row's n + 2 input rows, copied into rows
    /// of `padded` values with the image's column x at x + 1 and zeros outside the image, so that
    /// the loop over tiles has no edge tests (and taken through ReLU's backward on the way, given
    /// `reluOutput`); then `body(rows, padded, target)` with `target` at V[0][c][tile row's first tile].
    static func forEachInputRow(_ input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int,
                                band: WinogradBand, into v: UnsafeMutablePointer<Float>,
                                _ body: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void) {
        let n = outputTile, height = band.height, width = band.width, padded = n * band.tileColumns + 2
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: (n + 2) * padded)
        defer { rows.deallocate() }
        for c in 0..<channels {
            let plane = c * height * width
            for tileRow in 0..<band.tileRows {
                let top = n * (band.firstTileRow + tileRow) - 1
                for i in 0..<n + 2 {
                    let target = rows + i * padded, line = plane + (top + i) * width
                    if top + i >= 0 && top + i < height {
                        target[0] = 0
                        if let reluOutput {
                            ReLU.backward(input + line, output: reluOutput + line, count: width, into: target + 1)
                        } else {
                            (target + 1).update(from: input + line, count: width)
                        }
                        (target + 1 + width).update(repeating: 0, count: padded - 1 - width)
                    } else {
                        target.update(repeating: 0, count: padded)
                    }
                }
                body(rows, padded, v + c * band.tiles + tileRow * band.tileColumns)
            }
        }
    }

    /// For each output channel and tile row of the band: `body(rows, padded, source, bias, floor)`
    /// writes the tile row's n output rows into `rows` of `padded` values from `source` at
    /// M[0][o][tile row's first tile], adding `bias` and clamping at `floor`. A tile row that lies
    /// within the image is written in place; one that reaches past its edge (a side that is not
    /// a multiple of n: every tile row when it is the width) into a buffer, whose rows and
    /// columns within the image are then copied out.
    static func forEachOutputRow(_ m: UnsafePointer<Float>, outputChannels: Int, band: WinogradBand, epilogue: ConvolutionEpilogue,
                                 into output: UnsafeMutablePointer<Float>,
                                 _ body: (UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>, Float, Float) -> Void) {
        let n = outputTile, height = band.height, width = band.width, padded = n * band.tileColumns
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: n * padded)
        defer { rows.deallocate() }
        let floor: Float = epilogue.relu ? 0 : -.infinity
        for o in 0..<outputChannels {
            let plane = output + o * height * width
            let bias = epilogue.bias?[o] ?? 0
            for tileRow in 0..<band.tileRows {
                let source = m + o * band.tiles + tileRow * band.tileColumns, y = n * (band.firstTileRow + tileRow)
                if padded == width && y + n <= height {
                    body(plane + y * width, width, source, bias, floor)
                } else {
                    body(rows, padded, source, bias, floor)
                    for i in 0..<min(n, height - y) { (plane + (y + i) * width).update(from: rows + i * padded, count: width) }
                }
            }
        }
    }
}

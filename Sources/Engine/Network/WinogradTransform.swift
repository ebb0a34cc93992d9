import VectorKernels

// The transforms of Winograd's F(n×n, 3×3) (WinogradConvolution.swift has the method): the
// kernels' and the input tiles' into (n+2)² points, and the products' back into n×n outputs.
// Their arithmetic runs on every tile of every call, so it is in C (VectorKernels, whose
// winograd2.c and winograd4.c have the matrices), vectorised across tiles and kernels; here is
// the layout, and the gathering of the image's rows into tiles and back.

/// One F(n×n, 3×3): its tile and its C transforms (VectorKernels.h has their contracts).
/// Transformed values are stored point-major: point ξ = (n+2)·i + j of tile t in channel c at
/// [ξ][c][t], so that each point's values form one GEMM operand; the points are `pointStride`
/// apart.
struct WinogradTransform {
    /// n: the outputs a tile gives per side; its input tile is n + 2 a side.
    let outputTile: Int
    let kernelTransform: @convention(c) (UnsafePointer<Float>?, Int, UnsafeMutablePointer<Float>?, Int) -> Void
    let gatherRow: @convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, Int, UnsafeMutablePointer<Float>?, Int) -> Void
    let inputTransform: @convention(c) (UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?, Int) -> Void
    let outputTransform: @convention(c) (UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?, Int, Float, Float) -> Void

    var points: Int { (outputTile + 2) * (outputTile + 2) }

    /// F(2×2, 3×3): 16 points for 4 outputs, 2.25× fewer multiplications than direct.
    static let f2 = WinogradTransform(outputTile: 2, kernelTransform: styled_winograd2_kernels, gatherRow: styled_winograd2_gather_row,
                                      inputTransform: styled_winograd2_input, outputTransform: styled_winograd2_output)
    /// F(4×4, 3×3): 36 points for 16 outputs, 4× fewer; Lavin & Gray's interpolation points 0,
    /// ±1, ±2 and ∞ (as NNPACK and wincnn).
    static let f4 = WinogradTransform(outputTile: 4, kernelTransform: styled_winograd4_kernels, gatherRow: styled_winograd4_gather_row,
                                      inputTransform: styled_winograd4_input, outputTransform: styled_winograd4_output)
}

extension WinogradTransform {
    /// Where point ξ + 1's values start after point ξ's `count`: past them, at an odd number of
    /// cache lines, so that a tile's points (written and read together) do not all fall in one
    /// cache set, as they do a power of two apart (a 512-channel layer at 32×32 took 1.6× as long).
    func pointStride(_ count: Int) -> Int {
        let lines = (count + 15) / 16
        return (lines | 1) * 16
    }

    /// U[ξ][o][c] = (G g Gᵀ)[ξ] for each 3×3 kernel g = kernel[o][c], the kernels shared out among the workers.
    func transformKernels(_ kernel: UnsafePointer<Float>, outputChannels: Int, channels: Int) -> [Float] {
        let pairs = outputChannels * channels, stride = pointStride(pairs)
        return [Float](unsafeUninitializedCapacity: points * stride) { u, count in
            let u = u.baseAddress!
            Parallel.forEachRange(pairs, minimum: 1 << 12) { range in
                kernelTransform(kernel + range.lowerBound * 9, range.count, u + range.lowerBound, stride)
            }
            count = points * stride
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the input tile d of each channel and tile of the band (of the
    /// input kept where `reluOutput` > 0, if given), the points `stride` apart (`pointStride` of
    /// channels × tiles). For each channel and tile row, its n + 2 input rows are gathered (padded
    /// with zeros, split into n phases, through ReLU's backward on the way) into consecutive rows
    /// of a buffer, zeros for a row outside the image, and transformed.
    func transformInput(_ input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int,
                        band: WinogradBand, into v: UnsafeMutablePointer<Float>, stride: Int) {
        let n = outputTile, height = band.height, width = band.width, length = band.tileColumns + 1
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: (n + 2) * n * length)
        defer { rows.deallocate() }
        for c in 0..<channels {
            let plane = c * height * width
            for tileRow in 0..<band.tileRows {
                let top = n * (band.firstTileRow + tileRow) - 1
                for i in 0..<n + 2 {
                    let target = rows + i * n * length, line = plane + (top + i) * width
                    if top + i >= 0 && top + i < height {
                        gatherRow(input + line, reluOutput.map { $0 + line }, width, target, length)
                    } else {
                        target.update(repeating: 0, count: n * length)
                    }
                }
                inputTransform(rows, length, band.tileColumns, v + c * band.tiles + tileRow * band.tileColumns, stride)
            }
        }
    }

    /// The band's outputs Y = Aᵀ M A, plus the bias and through the epilogue's ReLU, from
    /// M[ξ][o][t], the points `stride` apart. A tile row that lies within the image is written in
    /// place; one that reaches past its edge (a side that is not a multiple of n: every tile row
    /// when it is the width) into a buffer, whose rows and columns within the image are then
    /// copied out.
    func transformOutput(_ m: UnsafePointer<Float>, stride: Int, outputChannels: Int, band: WinogradBand,
                         epilogue: ConvolutionEpilogue, into output: UnsafeMutablePointer<Float>) {
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
                    outputTransform(source, stride, band.tileColumns, plane + y * width, width, bias, floor)
                } else {
                    outputTransform(source, stride, band.tileColumns, rows, padded, bias, floor)
                    for i in 0..<min(n, height - y) { (plane + (y + i) * width).update(from: rows + i * padded, count: width) }
                }
            }
        }
    }
}

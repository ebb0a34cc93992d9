import WinogradKernels

// F(4×4, 3×3): 6×6 input tiles, 4×4 output tiles, 36 points (WinogradConvolution.swift), with
// Lavin & Gray's interpolation points 0, ±1, ±2 and ∞ (as NNPACK and wincnn):
//   Bᵀ = [[4,  0, −5,  0, 1, 0],     G = [[ 1/4,     0,    0],    Aᵀ = [[1, 1,  1, 1,  1, 0],
//         [0, −4, −4,  1, 1, 0],          [−1/6,  −1/6, −1/6],          [0, 1, −1, 2, −2, 0],
//         [0,  4, −4, −1, 1, 0],          [−1/6,   1/6, −1/6],          [0, 1,  1, 4,  4, 0],
//         [0, −2, −1,  2, 1, 0],          [1/24,  1/12,  1/6],          [0, 1, −1, 8, −8, 1]]
//         [0,  2, −1, −2, 1, 0],          [1/24, −1/12,  1/6],
//         [0,  4,  0, −5, 0, 1]]          [   0,     0,    1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.
// The input and output transforms, run on every tile of every call, are in C (WinogradKernels),
// where they are vectorised across tiles; the kernel transform is here.

typealias Six = (Float, Float, Float, Float, Float, Float)

enum WinogradF4: WinogradTransform {
    static let outputTile = 4

    /// G x.
    @inline(__always) static func kernelPoints(_ x0: Float, _ x1: Float, _ x2: Float) -> Six {
        let outer = x0 + x2, quarter = x0 * (1 / 24 as Float) + x2 * (1 / 6 as Float), middle = x1 * (1 / 12 as Float)
        return (x0 * 0.25, (outer + x1) * (-1 / 6 as Float), (outer - x1) * (-1 / 6 as Float), quarter + middle, quarter - middle, x2)
    }

    static func transformKernel(_ g: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, stride: Int) {
        // G g, column by column.
        let c0 = kernelPoints(g[0], g[3], g[6]), c1 = kernelPoints(g[1], g[4], g[7]), c2 = kernelPoints(g[2], g[5], g[8])
        // (G g) Gᵀ, row by row.
        store(kernelPoints(c0.0, c1.0, c2.0), row: 0, to: target, stride: stride)
        store(kernelPoints(c0.1, c1.1, c2.1), row: 1, to: target, stride: stride)
        store(kernelPoints(c0.2, c1.2, c2.2), row: 2, to: target, stride: stride)
        store(kernelPoints(c0.3, c1.3, c2.3), row: 3, to: target, stride: stride)
        store(kernelPoints(c0.4, c1.4, c2.4), row: 4, to: target, stride: stride)
        store(kernelPoints(c0.5, c1.5, c2.5), row: 5, to: target, stride: stride)
    }

    static func transformInput(_ input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int,
                               band: WinogradBand, into v: UnsafeMutablePointer<Float>) {
        let stride = pointStride(channels * band.tiles)
        forEachInputRow(input, throughReLU: reluOutput, channels: channels, band: band, into: v) { rows, padded, base in
            styled_winograd4_input(rows, padded, band.tileColumns, base, stride)
        }
    }

    static func transformOutput(_ m: UnsafePointer<Float>, outputChannels: Int, band: WinogradBand, epilogue: ConvolutionEpilogue,
                                into output: UnsafeMutablePointer<Float>) {
        let stride = pointStride(outputChannels * band.tiles)
        forEachOutputRow(m, outputChannels: outputChannels, band: band, epilogue: epilogue, into: output) { rows, padded, base, bias, floor in
            styled_winograd4_output(base, stride, band.tileColumns, rows, padded, bias, floor)
        }
    }

    /// Points 6·row ..< 6·row + 6 of one tile (or kernel): `target[(6·row + j) · stride] = values.j`.
    @inline(__always) static func store(_ values: Six, row: Int, to target: UnsafeMutablePointer<Float>, stride: Int) {
        let first = target + 6 * row * stride
        first[0] = values.0
        first[stride] = values.1
        first[2 * stride] = values.2
        first[3 * stride] = values.3
        first[4 * stride] = values.4
        first[5 * stride] = values.5
    }
}

import VectorKernels

// F(4×4, 3×3): 6×6 input tiles, 4×4 output tiles, 36 points (WinogradConvolution.swift), with
// Lavin & Gray's interpolation points 0, ±1, ±2 and ∞ (as NNPACK and wincnn):
//   Bᵀ = [[4,  0, −5,  0, 1, 0],     G = [[ 1/4,     0,    0],    Aᵀ = [[1, 1,  1, 1,  1, 0],
//         [0, −4, −4,  1, 1, 0],          [−1/6,  −1/6, −1/6],          [0, 1, −1, 2, −2, 0],
//         [0,  4, −4, −1, 1, 0],          [−1/6,   1/6, −1/6],          [0, 1,  1, 4,  4, 0],
//         [0, −2, −1,  2, 1, 0],          [1/24,  1/12,  1/6],          [0, 1, −1, 8, −8, 1]]
//         [0,  2, −1, −2, 1, 0],          [1/24, −1/12,  1/6],
//         [0,  4,  0, −5, 0, 1]]          [   0,     0,    1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.
// The three transforms are in C (VectorKernels), where they are vectorised across tiles and
// kernels.

enum WinogradF4: WinogradTransform {
    static let outputTile = 4

    static func transformKernels(_ kernels: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>, stride: Int) {
        styled_winograd4_kernels(kernels, count, u, stride)
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
}

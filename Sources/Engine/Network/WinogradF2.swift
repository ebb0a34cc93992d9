// F(2×2, 3×3): 4×4 input tiles, 2×2 output tiles, 16 points (WinogradConvolution.swift):
//   Bᵀ = [[1,  0, −1,  0],     G = [[1,  0,  0],     Aᵀ = [[1, 1,  1,  0],
//         [0,  1,  1,  0],          [½,  ½,  ½],           [0, 1, −1, −1]]
//         [0, −1,  1,  0],          [½, −½,  ½],
//         [0,  1,  0, −1]]          [0,  0,  1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.

typealias Four = (Float, Float, Float, Float)

enum WinogradF2: WinogradTransform {
    static let outputTile = 2

    /// G x.
    @inline(__always) static func kernelPoints(_ x0: Float, _ x1: Float, _ x2: Float) -> Four {
        (x0, (x0 + x1 + x2) * 0.5, (x0 - x1 + x2) * 0.5, x2)
    }

    /// Bᵀ x.
    @inline(__always) static func inputPoints(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float) -> Four {
        (x0 - x2, x1 + x2, x2 - x1, x1 - x3)
    }

    /// Aᵀ x.
    @inline(__always) static func outputPoints(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float) -> (Float, Float) {
        (x0 + x1 + x2, x1 - x2 - x3)
    }

    static func transformKernels(_ kernels: UnsafePointer<Float>, count: Int, into u: UnsafeMutablePointer<Float>, stride: Int) {
        for k in 0..<count {
            let g = kernels + 9 * k, target = u + k
            // G g, column by column.
            let c0 = kernelPoints(g[0], g[3], g[6]), c1 = kernelPoints(g[1], g[4], g[7]), c2 = kernelPoints(g[2], g[5], g[8])
            // (G g) Gᵀ, row by row.
            store(kernelPoints(c0.0, c1.0, c2.0), row: 0, to: target, stride: stride)
            store(kernelPoints(c0.1, c1.1, c2.1), row: 1, to: target, stride: stride)
            store(kernelPoints(c0.2, c1.2, c2.2), row: 2, to: target, stride: stride)
            store(kernelPoints(c0.3, c1.3, c2.3), row: 3, to: target, stride: stride)
        }
    }

    static func transformInput(_ input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int,
                               band: WinogradBand, into v: UnsafeMutablePointer<Float>) {
        let stride = pointStride(channels * band.tiles)
        forEachInputRow(input, throughReLU: reluOutput, channels: channels, band: band, into: v) { rows, padded, base in
            let r0 = rows, r1 = rows + padded, r2 = rows + 2 * padded, r3 = rows + 3 * padded
            for tx in 0..<band.tileColumns {
                let p = 2 * tx
                // Bᵀ d, column by column.
                let c0 = inputPoints(r0[p], r1[p], r2[p], r3[p]), c1 = inputPoints(r0[p + 1], r1[p + 1], r2[p + 1], r3[p + 1])
                let c2 = inputPoints(r0[p + 2], r1[p + 2], r2[p + 2], r3[p + 2]), c3 = inputPoints(r0[p + 3], r1[p + 3], r2[p + 3], r3[p + 3])
                // (Bᵀ d) B, row by row.
                let target = base + tx
                store(inputPoints(c0.0, c1.0, c2.0, c3.0), row: 0, to: target, stride: stride)
                store(inputPoints(c0.1, c1.1, c2.1, c3.1), row: 1, to: target, stride: stride)
                store(inputPoints(c0.2, c1.2, c2.2, c3.2), row: 2, to: target, stride: stride)
                store(inputPoints(c0.3, c1.3, c2.3, c3.3), row: 3, to: target, stride: stride)
            }
        }
    }

    static func transformOutput(_ m: UnsafePointer<Float>, outputChannels: Int, band: WinogradBand, epilogue: ConvolutionEpilogue,
                                into output: UnsafeMutablePointer<Float>) {
        let stride = pointStride(outputChannels * band.tiles)
        forEachOutputRow(m, outputChannels: outputChannels, band: band, epilogue: epilogue, into: output) { rows, padded, base, bias, floor in
            for tx in 0..<band.tileColumns {
                let source = base + tx
                // Aᵀ M, column by column: point (i, j) of the tile is at source[(4i + j) · stride].
                @inline(__always) func column(_ j: Int) -> (Float, Float) {
                    outputPoints(source[j * stride], source[(4 + j) * stride], source[(8 + j) * stride], source[(12 + j) * stride])
                }
                let s0 = column(0), s1 = column(1), s2 = column(2), s3 = column(3)
                // (Aᵀ M) A, row by row, with the bias and the clamp.
                @inline(__always) func write(_ y: (Float, Float), row: Int) {
                    let target = rows + row * padded + 2 * tx
                    target[0] = max(floor, y.0 + bias)
                    target[1] = max(floor, y.1 + bias)
                }
                write(outputPoints(s0.0, s1.0, s2.0, s3.0), row: 0)
                write(outputPoints(s0.1, s1.1, s2.1, s3.1), row: 1)
            }
        }
    }

    /// Points 4·row ..< 4·row + 4 of one tile (or kernel): `target[(4·row + j) · stride] = values.j`.
    @inline(__always) static func store(_ values: Four, row: Int, to target: UnsafeMutablePointer<Float>, stride: Int) {
        let first = target + 4 * row * stride
        first[0] = values.0
        first[stride] = values.1
        first[2 * stride] = values.2
        first[3 * stride] = values.3
    }
}

// F(4×4, 3×3): 6×6 input tiles, 4×4 output tiles, 36 points (WinogradConvolution.swift), with
// Lavin & Gray's interpolation points 0, ±1, ±2 and ∞ (as NNPACK and wincnn):
//   Bᵀ = [[4,  0, −5,  0, 1, 0],     G = [[ 1/4,     0,    0],    Aᵀ = [[1, 1,  1, 1,  1, 0],
//         [0, −4, −4,  1, 1, 0],          [−1/6,  −1/6, −1/6],          [0, 1, −1, 2, −2, 0],
//         [0,  4, −4, −1, 1, 0],          [−1/6,   1/6, −1/6],          [0, 1,  1, 4,  4, 0],
//         [0, −2, −1,  2, 1, 0],          [1/24,  1/12,  1/6],          [0, 1, −1, 8, −8, 1]]
//         [0,  2, −1, −2, 1, 0],          [1/24, −1/12,  1/6],
//         [0,  4,  0, −5, 0, 1]]          [   0,     0,    1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.

typealias Six = (Float, Float, Float, Float, Float, Float)

enum WinogradF4: WinogradTransform {
    static let outputTile = 4

    /// G x.
    @inline(__always) static func kernelPoints(_ x0: Float, _ x1: Float, _ x2: Float) -> Six {
        let outer = x0 + x2, quarter = x0 * (1 / 24 as Float) + x2 * (1 / 6 as Float), middle = x1 * (1 / 12 as Float)
        return (x0 * 0.25, (outer + x1) * (-1 / 6 as Float), (outer - x1) * (-1 / 6 as Float), quarter + middle, quarter - middle, x2)
    }

    /// Bᵀ x.
    @inline(__always) static func inputPoints(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float, _ x4: Float, _ x5: Float) -> Six {
        let a = x4 - 4 * x2, b = x3 - 4 * x1, c = x4 - x2, d = 2 * (x3 - x1)
        return (4 * (x0 - x2) + c, a + b, a - b, c + d, c - d, 4 * (x1 - x3) + (x5 - x3))
    }

    /// Aᵀ x.
    @inline(__always) static func outputPoints(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float, _ x4: Float, _ x5: Float)
        -> (Float, Float, Float, Float) {
        let p = x1 + x2, q = x1 - x2, r = x3 + x4, s = x3 - x4
        return (x0 + p + r, q + 2 * s, p + 4 * r, q + 8 * s + x5)
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
            let r0 = rows, r1 = rows + padded, r2 = rows + 2 * padded, r3 = rows + 3 * padded, r4 = rows + 4 * padded, r5 = rows + 5 * padded
            for tx in 0..<band.tileColumns {
                let p = 4 * tx
                // Bᵀ d, column by column.
                let c0 = inputPoints(r0[p], r1[p], r2[p], r3[p], r4[p], r5[p])
                let c1 = inputPoints(r0[p + 1], r1[p + 1], r2[p + 1], r3[p + 1], r4[p + 1], r5[p + 1])
                let c2 = inputPoints(r0[p + 2], r1[p + 2], r2[p + 2], r3[p + 2], r4[p + 2], r5[p + 2])
                let c3 = inputPoints(r0[p + 3], r1[p + 3], r2[p + 3], r3[p + 3], r4[p + 3], r5[p + 3])
                let c4 = inputPoints(r0[p + 4], r1[p + 4], r2[p + 4], r3[p + 4], r4[p + 4], r5[p + 4])
                let c5 = inputPoints(r0[p + 5], r1[p + 5], r2[p + 5], r3[p + 5], r4[p + 5], r5[p + 5])
                // (Bᵀ d) B, row by row.
                let target = base + tx
                store(inputPoints(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0), row: 0, to: target, stride: stride)
                store(inputPoints(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1), row: 1, to: target, stride: stride)
                store(inputPoints(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2), row: 2, to: target, stride: stride)
                store(inputPoints(c0.3, c1.3, c2.3, c3.3, c4.3, c5.3), row: 3, to: target, stride: stride)
                store(inputPoints(c0.4, c1.4, c2.4, c3.4, c4.4, c5.4), row: 4, to: target, stride: stride)
                store(inputPoints(c0.5, c1.5, c2.5, c3.5, c4.5, c5.5), row: 5, to: target, stride: stride)
            }
        }
    }

    static func transformOutput(_ m: UnsafePointer<Float>, outputChannels: Int, band: WinogradBand, epilogue: ConvolutionEpilogue,
                                into output: UnsafeMutablePointer<Float>) {
        let stride = pointStride(outputChannels * band.tiles)
        forEachOutputRow(m, outputChannels: outputChannels, band: band, epilogue: epilogue, into: output) { rows, padded, base, bias, floor in
            for tx in 0..<band.tileColumns {
                let source = base + tx
                // Aᵀ M, column by column: point (i, j) of the tile is at source[(6i + j) · stride].
                @inline(__always) func column(_ j: Int) -> (Float, Float, Float, Float) {
                    outputPoints(source[j * stride], source[(6 + j) * stride], source[(12 + j) * stride],
                                 source[(18 + j) * stride], source[(24 + j) * stride], source[(30 + j) * stride])
                }
                let s0 = column(0), s1 = column(1), s2 = column(2), s3 = column(3), s4 = column(4), s5 = column(5)
                // (Aᵀ M) A, row by row, with the bias and the clamp.
                @inline(__always) func write(_ y: (Float, Float, Float, Float), row: Int) {
                    let target = rows + row * padded + 4 * tx
                    target[0] = max(floor, y.0 + bias)
                    target[1] = max(floor, y.1 + bias)
                    target[2] = max(floor, y.2 + bias)
                    target[3] = max(floor, y.3 + bias)
                }
                write(outputPoints(s0.0, s1.0, s2.0, s3.0, s4.0, s5.0), row: 0)
                write(outputPoints(s0.1, s1.1, s2.1, s3.1, s4.1, s5.1), row: 1)
                write(outputPoints(s0.2, s1.2, s2.2, s3.2, s4.2, s5.2), row: 2)
                write(outputPoints(s0.3, s1.3, s2.3, s3.3, s4.3, s5.3), row: 3)
            }
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

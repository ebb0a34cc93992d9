// F(2×2, 3×3): 4×4 input tiles, 2×2 output tiles, 16 points (WinogradConvolution.swift).

enum WinogradF2: WinogradTransform {
    static let outputTile = 2

    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    static func transformKernel(_ kernel: UnsafePointer<Float>, outputChannels: Int, channels: Int) -> [Float] {
        let pairs = outputChannels * channels, stride = pointStride(pairs)
        return [Float](unsafeUninitializedCapacity: 16 * stride) { u, count in
            for pair in 0..<pairs {
                let g = kernel + pair * 9
                // G g, row by row (4 × 3).
                let a00 = g[0], a10 = (g[0] + g[3] + g[6]) * 0.5, a20 = (g[0] - g[3] + g[6]) * 0.5, a30 = g[6]
                let a01 = g[1], a11 = (g[1] + g[4] + g[7]) * 0.5, a21 = (g[1] - g[4] + g[7]) * 0.5, a31 = g[7]
                let a02 = g[2], a12 = (g[2] + g[5] + g[8]) * 0.5, a22 = (g[2] - g[5] + g[8]) * 0.5, a32 = g[8]
                // (G g) Gᵀ (4 × 4).
                u[0 * stride + pair] = a00
                u[1 * stride + pair] = (a00 + a01 + a02) * 0.5
                u[2 * stride + pair] = (a00 - a01 + a02) * 0.5
                u[3 * stride + pair] = a02
                u[4 * stride + pair] = a10
                u[5 * stride + pair] = (a10 + a11 + a12) * 0.5
                u[6 * stride + pair] = (a10 - a11 + a12) * 0.5
                u[7 * stride + pair] = a12
                u[8 * stride + pair] = a20
                u[9 * stride + pair] = (a20 + a21 + a22) * 0.5
                u[10 * stride + pair] = (a20 - a21 + a22) * 0.5
                u[11 * stride + pair] = a22
                u[12 * stride + pair] = a30
                u[13 * stride + pair] = (a30 + a31 + a32) * 0.5
                u[14 * stride + pair] = (a30 - a31 + a32) * 0.5
                u[15 * stride + pair] = a32
            }
            count = 16 * stride
        }
    }

    /// Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
    static func transformInput(_ input: UnsafePointer<Float>, channels: Int, band: WinogradBand, into v: UnsafeMutablePointer<Float>) {
        let stride = pointStride(channels * band.tiles)
        forEachInputRow(input, channels: channels, band: band, into: v) { rows, padded, base in
            let r0 = rows, r1 = rows + padded, r2 = rows + 2 * padded, r3 = rows + 3 * padded
            for tx in 0..<band.tileColumns {
                let p = 2 * tx
                let d00 = r0[p + 0], d01 = r0[p + 1], d02 = r0[p + 2], d03 = r0[p + 3]
                let d10 = r1[p + 0], d11 = r1[p + 1], d12 = r1[p + 2], d13 = r1[p + 3]
                let d20 = r2[p + 0], d21 = r2[p + 1], d22 = r2[p + 2], d23 = r2[p + 3]
                let d30 = r3[p + 0], d31 = r3[p + 1], d32 = r3[p + 2], d33 = r3[p + 3]
                // Bᵀ d, column by column.
                let b00 = d00 - d20, b10 = d10 + d20, b20 = d20 - d10, b30 = d10 - d30
                let b01 = d01 - d21, b11 = d11 + d21, b21 = d21 - d11, b31 = d11 - d31
                let b02 = d02 - d22, b12 = d12 + d22, b22 = d22 - d12, b32 = d12 - d32
                let b03 = d03 - d23, b13 = d13 + d23, b23 = d23 - d13, b33 = d13 - d33
                // (Bᵀ d) B, row by row.
                base[0 * stride + tx] = b00 - b02
                base[1 * stride + tx] = b01 + b02
                base[2 * stride + tx] = b02 - b01
                base[3 * stride + tx] = b01 - b03
                base[4 * stride + tx] = b10 - b12
                base[5 * stride + tx] = b11 + b12
                base[6 * stride + tx] = b12 - b11
                base[7 * stride + tx] = b11 - b13
                base[8 * stride + tx] = b20 - b22
                base[9 * stride + tx] = b21 + b22
                base[10 * stride + tx] = b22 - b21
                base[11 * stride + tx] = b21 - b23
                base[12 * stride + tx] = b30 - b32
                base[13 * stride + tx] = b31 + b32
                base[14 * stride + tx] = b32 - b31
                base[15 * stride + tx] = b31 - b33
            }
        }
    }

    /// Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
    static func transformOutput(_ m: UnsafePointer<Float>, outputChannels: Int, band: WinogradBand, epilogue: ConvolutionEpilogue,
                                into output: UnsafeMutablePointer<Float>) {
        let stride = pointStride(outputChannels * band.tiles)
        forEachOutputRow(m, outputChannels: outputChannels, band: band, epilogue: epilogue, into: output) { rows, padded, base, bias, floor in
            let upper = rows, lower = rows + padded
            for tx in 0..<band.tileColumns {
                // Aᵀ m, column by column.
                let m00 = base[0 * stride + tx], m10 = base[4 * stride + tx], m20 = base[8 * stride + tx], m30 = base[12 * stride + tx]
                let s00 = m00 + m10 + m20, s10 = m10 - m20 - m30
                let m01 = base[1 * stride + tx], m11 = base[5 * stride + tx], m21 = base[9 * stride + tx], m31 = base[13 * stride + tx]
                let s01 = m01 + m11 + m21, s11 = m11 - m21 - m31
                let m02 = base[2 * stride + tx], m12 = base[6 * stride + tx], m22 = base[10 * stride + tx], m32 = base[14 * stride + tx]
                let s02 = m02 + m12 + m22, s12 = m12 - m22 - m32
                let m03 = base[3 * stride + tx], m13 = base[7 * stride + tx], m23 = base[11 * stride + tx], m33 = base[15 * stride + tx]
                let s03 = m03 + m13 + m23, s13 = m13 - m23 - m33
                let x = 2 * tx
                upper[x] = max(floor, s00 + s01 + s02 + bias)
                upper[x + 1] = max(floor, s01 - s02 - s03 + bias)
                lower[x] = max(floor, s10 + s11 + s12 + bias)
                lower[x + 1] = max(floor, s11 - s12 - s13 + bias)
            }
        }
    }
}

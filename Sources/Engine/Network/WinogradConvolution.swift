// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): each 2×2 block of outputs comes from a 4×4 tile of inputs with 16
// multiplications per channel pair instead of 36, so the GEMM work falls by 2.25×.
//   V = Bᵀ d B (input tile),  U = G g Gᵀ (kernel),  M[ξ] = U[ξ] · V[ξ] (16 GEMMs over channels),
//   Y = Aᵀ m A (2×2 outputs).
// Tiles are processed in bands, one band per worker at a time, like the im2col path. Layers
// with few channels (the first, RGB in; its gradient, RGB out) stay on the GEMM path, where
// Winograd's 16 small GEMMs would not pay.

public struct WinogradConvolution: ConvolutionAlgorithm {
    /// Tiles per band: enough columns for the 16 GEMMs, little enough to stay in cache.
    public var bandTiles: Int
    public var fallback: GEMMConvolution
    /// Below this many input (forward) or output (backward) channels, use `fallback`.
    public var minimumChannels: Int

    public init(bandTiles: Int = 256, fallback: GEMMConvolution = GEMMConvolution(), minimumChannels: Int = 16) {
        self.bandTiles = bandTiles
        self.fallback = fallback
        self.minimumChannels = minimumChannels
    }

    public func backward(outputGradient: UnsafePointer<Float>, outputChannels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>, inputChannels: Int,
                         inputGradient: UnsafeMutablePointer<Float>) {
        if inputChannels < minimumChannels {
            fallback.backward(outputGradient: outputGradient, outputChannels: outputChannels, height: height, width: width,
                              kernel: kernel, transposedKernel: transposedKernel, inputChannels: inputChannels,
                              inputGradient: inputGradient)
        } else {
            convolve(input: outputGradient, channels: outputChannels, height: height, width: width,
                     kernel: transposedKernel, outputChannels: inputChannels, output: inputGradient, epilogue: .none)
        }
    }

    public func convolve(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        guard channels >= minimumChannels else {
            fallback.convolve(input: input, channels: channels, height: height, width: width, kernel: kernel,
                              outputChannels: outputChannels, output: output, epilogue: epilogue)
            return
        }
        let transformed = Self.transformKernel(kernel, outputChannels: outputChannels, channels: channels)
        let tileRows = (height + 1) / 2, tileColumns = (width + 1) / 2
        let rowsPerBand = max(1, min((tileRows + Parallel.workers - 1) / Parallel.workers, bandTiles / tileColumns))
        let bands = (tileRows + rowsPerBand - 1) / rowsPerBand
        let capacity = rowsPerBand * tileColumns
        transformed.withUnsafeBufferPointer { u in
            Parallel.run { worker in
                let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * channels * capacity)
                let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * outputChannels * capacity)
                defer { v.deallocate(); m.deallocate() }
                for band in stride(from: worker, to: bands, by: Parallel.workers) {
                    let firstTileRow = band * rowsPerBand, tiles = min(rowsPerBand, tileRows - firstTileRow) * tileColumns
                    Self.transformInput(input, channels: channels, height: height, width: width, firstTileRow: firstTileRow,
                                        tiles: tiles, tileColumns: tileColumns, into: v)
                    for xi in 0..<16 {
                        BLAS.sgemm(m: outputChannels, n: tiles, k: channels, a: u.baseAddress! + xi * outputChannels * channels,
                                   lda: channels, b: v + xi * channels * tiles, ldb: tiles, beta: 0,
                                   c: m + xi * outputChannels * tiles, ldc: tiles)
                    }
                    Self.transformOutput(m, outputChannels: outputChannels, height: height, width: width, firstTileRow: firstTileRow,
                                         tiles: tiles, tileColumns: tileColumns, epilogue: epilogue, into: output)
                }
            }
        }
    }

    /// U[ξ][o][c] = (G g Gᵀ)[ξ] for each 3×3 kernel g = kernel[o][c],
    /// G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    static func transformKernel(_ kernel: UnsafePointer<Float>, outputChannels: Int, channels: Int) -> [Float] {
        let pairs = outputChannels * channels
        return [Float](unsafeUninitializedCapacity: 16 * pairs) { u, count in
            for pair in 0..<pairs {
                let g = kernel + pair * 9
                // G g, row by row (4 × 3).
                let a00 = g[0], a10 = (g[0] + g[3] + g[6]) * 0.5, a20 = (g[0] - g[3] + g[6]) * 0.5, a30 = g[6]
                let a01 = g[1], a11 = (g[1] + g[4] + g[7]) * 0.5, a21 = (g[1] - g[4] + g[7]) * 0.5, a31 = g[7]
                let a02 = g[2], a12 = (g[2] + g[5] + g[8]) * 0.5, a22 = (g[2] - g[5] + g[8]) * 0.5, a32 = g[8]
                // (G g) Gᵀ (4 × 4).
                u[(0) * pairs + pair] = a00
                u[(1) * pairs + pair] = (a00 + a01 + a02) * 0.5
                u[(2) * pairs + pair] = (a00 - a01 + a02) * 0.5
                u[(3) * pairs + pair] = a02
                u[(4) * pairs + pair] = a10
                u[(5) * pairs + pair] = (a10 + a11 + a12) * 0.5
                u[(6) * pairs + pair] = (a10 - a11 + a12) * 0.5
                u[(7) * pairs + pair] = a12
                u[(8) * pairs + pair] = a20
                u[(9) * pairs + pair] = (a20 + a21 + a22) * 0.5
                u[(10) * pairs + pair] = (a20 - a21 + a22) * 0.5
                u[(11) * pairs + pair] = a22
                u[(12) * pairs + pair] = a30
                u[(13) * pairs + pair] = (a30 + a31 + a32) * 0.5
                u[(14) * pairs + pair] = (a30 - a31 + a32) * 0.5
                u[(15) * pairs + pair] = a32
            }
            count = 16 * pairs
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the 4×4 input tile d of each channel c and tile t,
    /// Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]; outside the image, d is 0.
    /// Each tile row's four input rows are first copied into zero-padded rows, so that the
    /// loop over tiles has no edge tests.
    static func transformInput(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, firstTileRow: Int,
                               tiles: Int, tileColumns: Int, into v: UnsafeMutablePointer<Float>) {
        let stride = channels * tiles, padded = 2 * tileColumns + 2
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 4 * padded)
        defer { rows.deallocate() }
        for c in 0..<channels {
            let plane = input + c * height * width
            for tileRow in 0..<tiles / tileColumns {
                let top = 2 * (firstTileRow + tileRow) - 1
                for i in 0..<4 {
                    let target = rows + i * padded
                    target.update(repeating: 0, count: padded)
                    if top + i >= 0 && top + i < height { (target + 1).update(from: plane + (top + i) * width, count: width) }
                }
                let r0 = rows, r1 = rows + padded, r2 = rows + 2 * padded, r3 = rows + 3 * padded
                let base = v + c * tiles + tileRow * tileColumns
                for tx in 0..<tileColumns {
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
    }

    /// Y = Aᵀ m A for each output channel and tile, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], then
    /// the epilogue. Each tile row is written to two padded rows first and copied out, so
    /// that outputs past the image's edge (odd sizes) are dropped without tests in the loop.
    static func transformOutput(_ m: UnsafePointer<Float>, outputChannels: Int, height: Int, width: Int, firstTileRow: Int,
                                tiles: Int, tileColumns: Int, epilogue: ConvolutionEpilogue, into output: UnsafeMutablePointer<Float>) {
        let stride = outputChannels * tiles, padded = 2 * tileColumns
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 2 * padded)
        defer { rows.deallocate() }
        let upper = rows, lower = rows + padded
        let floor: Float = epilogue.relu ? 0 : -.infinity
        for o in 0..<outputChannels {
            let plane = output + o * height * width
            let bias = epilogue.bias?[o] ?? 0
            for tileRow in 0..<tiles / tileColumns {
                let base = m + o * tiles + tileRow * tileColumns
                for tx in 0..<tileColumns {
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
                let y = 2 * (firstTileRow + tileRow)
                (plane + y * width).update(from: upper, count: width)
                if y + 1 < height { (plane + (y + 1) * width).update(from: lower, count: width) }
            }
        }
    }
}

// Winograd's minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): each m×m block of outputs comes from an (m+2)×(m+2) tile of inputs
// with (m+2)² multiplications per channel pair instead of 9m².
//   V = Bᵀ d B (input tile),  U = G g Gᵀ (kernel),  M[ξ] = U[ξ] · V[ξ] ((m+2)² GEMMs over channels),
//   Y = Aᵀ M A (m×m outputs).
// F(2×2, 3×3) takes 16 for 4 outputs, 2.25× fewer than direct; F(4×4, 3×3) (the default for
// large layers) 36 for 16, 4× fewer (WinogradTransform.swift). F(4×4)'s transforms
// have larger constants and cost some float32 accuracy, but it still agrees with the direct
// convolution to 1e-5 and with the reference's losses to 1e-4 (the tests check both). Each
// worker takes an equal share of the tile rows and processes it in bands, like the im2col path.
// Layers with few channels (the first, RGB in; its gradient, RGB out) stay on the GEMM path,
// where Winograd's many small GEMMs would not pay.

public struct WinogradConvolution: ReLUFusingConvolution {
    /// The output tile: F(2×2, 3×3), F(4×4, 3×3), or each layer's faster of the two.
    public enum Tile: Sendable {
        case f2x2, f4x4
        /// F(4×4) on layers of at least `largeTilePositions` positions, F(2×2) on smaller ones.
        /// Both transform every kernel on each call, F(4×4) into 36 values against 16; its 1.8×
        /// fewer multiplications repay that only where a layer has enough positions.
        case bySize
    }

    /// Where F(4×4) overtakes F(2×2): VGG16's pass at 128 and 256 px took 0.067 and 0.193 s with
    /// F(4×4) from 64×64 positions, 0.089 and 0.209 s with F(4×4) everywhere, 0.072 and 0.219 s
    /// with F(2×2) everywhere (`styled bench`, median of 7); at 512 px 0.70–0.72 s, 0.69 s and 0.76 s.
    static let largeTilePositions = 64 * 64

    public var tile: Tile
    /// Tiles per band, about: enough columns for the GEMMs, little enough to stay in cache; by
    /// default the same band memory for either tile, about 4096 transformed values a channel.
    public var bandTiles: Int?
    public var fallback: GEMMConvolution
    /// Below this many input (forward) or output (backward) channels, use `fallback`.
    public var minimumChannels: Int

    public init(tile: Tile = .bySize, bandTiles: Int? = nil, fallback: GEMMConvolution = GEMMConvolution(), minimumChannels: Int = 16) {
        self.tile = tile
        self.bandTiles = bandTiles
        self.fallback = fallback
        self.minimumChannels = minimumChannels
    }

    public func backward(outputGradient: UnsafePointer<Float>, reluOutput: UnsafePointer<Float>?, outputChannels: Int,
                         height: Int, width: Int, kernel: UnsafePointer<Float>, transposedKernel: UnsafePointer<Float>,
                         inputChannels: Int, inputGradient: UnsafeMutablePointer<Float>) {
        if inputChannels < minimumChannels {
            fallback.backward(outputGradient: outputGradient, reluOutput: reluOutput, outputChannels: outputChannels,
                              height: height, width: width, kernel: kernel, transposedKernel: transposedKernel,
                              inputChannels: inputChannels, inputGradient: inputGradient)
        } else {
            convolve(input: outputGradient, throughReLU: reluOutput, channels: outputChannels, height: height, width: width,
                     kernel: transposedKernel, outputChannels: inputChannels, output: inputGradient, epilogue: .none)
        }
    }

    /// ReLU's backward, given `reluOutput`, is applied while the input tiles are gathered.
    public func convolve(input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?, channels: Int, height: Int,
                         width: Int, kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        guard channels >= minimumChannels else {
            fallback.convolve(input: input, throughReLU: reluOutput, channels: channels, height: height, width: width,
                              kernel: kernel, outputChannels: outputChannels, output: output, epilogue: epilogue)
            return
        }
        if tile == .f4x4 || tile == .bySize && height * width >= Self.largeTilePositions {
            run(.f4, input: input, throughReLU: reluOutput, channels: channels, height: height, width: width,
                kernel: kernel, outputChannels: outputChannels, output: output, epilogue: epilogue)
        } else {
            run(.f2, input: input, throughReLU: reluOutput, channels: channels, height: height, width: width,
                kernel: kernel, outputChannels: outputChannels, output: output, epilogue: epilogue)
        }
    }

    private func run(_ transform: WinogradTransform, input: UnsafePointer<Float>, throughReLU reluOutput: UnsafePointer<Float>?,
                     channels: Int, height: Int, width: Int, kernel: UnsafePointer<Float>, outputChannels: Int,
                     output: UnsafeMutablePointer<Float>, epilogue: ConvolutionEpilogue) {
        let n = transform.outputTile, points = transform.points
        let transformed = transform.transformKernels(kernel, outputChannels: outputChannels, channels: channels)
        let tileRows = (height + n - 1) / n, tileColumns = (width + n - 1) / n
        let bandRows = max(1, (bandTiles ?? 4096 / points) / tileColumns), uStride = transform.pointStride(outputChannels * channels)
        transformed.withUnsafeBufferPointer { u in
            Parallel.run { worker in
                // Each worker takes an equal share of the tile rows (to a row), cut into bands of
                // about `bandRows` rows: block 4 at 512 px had bands of 7, 7 and 2 rows, 9 for one
                // worker and 7 for the other, and now a band of 8 each (a band's fixed cost,
                // OpenBLAS packing each point's kernel matrix, is then paid twice, not three times).
                let workers = Parallel.workers, first = tileRows * worker / workers
                let share = tileRows * (worker + 1) / workers - first
                guard share > 0 else { return }
                let bands = max(1, (share + bandRows / 2) / bandRows), capacity = (share + bands - 1) / bands * tileColumns
                let v = UnsafeMutablePointer<Float>.allocate(capacity: points * transform.pointStride(channels * capacity))
                let m = UnsafeMutablePointer<Float>.allocate(capacity: points * transform.pointStride(outputChannels * capacity))
                defer { v.deallocate(); m.deallocate() }
                for band in 0..<bands {
                    let top = first + share * band / bands
                    let band = WinogradBand(firstTileRow: top, tileRows: first + share * (band + 1) / bands - top,
                                            tileColumns: tileColumns, height: height, width: width)
                    let vStride = transform.pointStride(channels * band.tiles), mStride = transform.pointStride(outputChannels * band.tiles)
                    transform.transformInput(input, throughReLU: reluOutput, channels: channels, band: band, into: v, stride: vStride)
                    for xi in 0..<points {
                        BLAS.sgemm(m: outputChannels, n: band.tiles, k: channels, a: u.baseAddress! + xi * uStride, lda: channels,
                                   b: v + xi * vStride, ldb: band.tiles, beta: 0, c: m + xi * mStride, ldc: band.tiles)
                    }
                    transform.transformOutput(m, stride: mStride, outputChannels: outputChannels, band: band, epilogue: epilogue,
                                              into: output)
                }
            }
        }
    }
}

/// Consecutive rows of tiles, all of the image's tile columns; tile t is at row t / tileColumns,
/// column t % tileColumns of the band.
struct WinogradBand {
    var firstTileRow, tileRows, tileColumns, height, width: Int
    var tiles: Int { tileRows * tileColumns }
}

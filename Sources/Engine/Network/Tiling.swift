// Evaluating the network over an image in tiles, for images whose whole pass would not fit in
// memory. The image is cut into cores (squares of `core` px; the last in a row or column may be
// shorter) and each is passed through the network within an extent grown by a halo as wide as
// the deepest layer's receptive field reaches. Every feature whose position lies in a core is
// then computed from exactly the pixels the whole image's pass uses, so it equals the whole
// pass's. Cores and halos are multiples of the network's total pooling stride, so the poolings
// cut each tile where they cut the whole image.
// What a loss sums over positions adds up over the cores (LayerSums.swift); the gradient of a
// core's features, taken back through its tile's pass, falls on the tile's extent, and the
// extents' gradients add up to the whole image's (Objective.swift).

public struct Tiling: Sendable, Equatable {
    public struct Tile: Sendable, Equatable {
        /// The positions this tile answers for: the cores partition the image.
        public var core: PixelBox
        /// The pixels its pass reads: the core and its halo, within the image.
        public var extent: PixelBox
    }

    public let width: Int, height: Int
    public let tiles: [Tile]

    /// The whole image as one tile.
    public init(width: Int, height: Int) {
        let whole = PixelBox(x: 0, y: 0, width: width, height: height)
        (self.width, self.height, tiles) = (width, height, [Tile(core: whole, extent: whole)])
    }

    /// Cores of `core` px, each read with `halo` px around it (both multiples of the pooling stride).
    public init(width: Int, height: Int, core: Int, halo: Int) {
        func spans(_ length: Int) -> [(core: Range<Int>, extent: Range<Int>)] {
            stride(from: 0, to: length, by: core).map { start in
                let end = min(length, start + core)
                return (start..<end, max(0, start - halo)..<min(length, end + halo))
            }
        }
        var tiles: [Tile] = []
        for row in spans(height) {
            for column in spans(width) {
                tiles.append(Tile(core: PixelBox(x: column.core.lowerBound, y: row.core.lowerBound, width: column.core.count, height: row.core.count),
                                  extent: PixelBox(x: column.extent.lowerBound, y: row.extent.lowerBound,
                                                   width: column.extent.count, height: row.extent.count)))
            }
        }
        (self.width, self.height, self.tiles) = (width, height, tiles)
    }

    public var isWhole: Bool { tiles.count == 1 }
}

extension Tiling.Tile {
    /// The core's rows and columns in a layer's features `poolings` poolings down, counted in
    /// the tile's own pass (`inExtent`) or in the whole image's.
    func coreRanges(poolings: Int, inExtent: Bool) -> (rows: Range<Int>, columns: Range<Int>) {
        let (top, left) = inExtent ? (extent.y, extent.x) : (0, 0)
        return ((core.y - top) >> poolings..<(core.y + core.height - top) >> poolings,
                (core.x - left) >> poolings..<(core.x + core.width - left) >> poolings)
    }
}

extension VGG {
    /// How many of the network's layers a pass to `layers` runs through.
    func depth(reaching layers: [String]) -> Int { (layers.compactMap(index(of:)).max() ?? -1) + 1 }

    /// How many poolings precede `layer`'s convolution (the callers' layers are validated).
    func poolings(at layer: String) -> Int {
        guard let index = index(of: layer) else { preconditionFailure("\(architecture.rawValue) has no layer \(layer)") }
        return blockStarts.filter { $0 <= index }.count
    }

    /// How far beyond a position's cell (the stride² pixels it stands for), in image pixels, the
    /// first `depth` layers reach: each 3×3 convolution one step of its layer's stride to either
    /// side; a 2×2 pooling joins two cells into its own, so adds nothing. Rounded up to the
    /// pooling stride.
    public func halo(forDepth depth: Int) -> Int {
        var stride = 1, reach = 0
        for i in 0..<depth {
            if blockStarts.contains(i) { stride *= 2 }
            reach += stride
        }
        return (reach + stride - 1) / stride * stride
    }

    /// The tiling of a `width` × `height` image for a pass to `layers`: cores of `core` px
    /// (rounded down to the pooling stride), or the whole image where `core` is nil or the image
    /// is no larger than one tile's extent.
    public func tiling(width: Int, height: Int, layers: [String], core: Int?) -> Tiling {
        let depth = depth(reaching: layers)
        let stride = minimumSide(forDepth: depth), halo = halo(forDepth: depth)
        guard let core, max(width, height) > core + 2 * halo else { return Tiling(width: width, height: height) }
        return Tiling(width: width, height: height, core: max(stride, core / stride * stride), halo: halo)
    }

    /// A layer's features at a tile's core, from the tile's pass.
    func coreFeatures(_ pass: Pass, _ layer: String, _ tile: Tiling.Tile) -> Tensor {
        let (rows, columns) = tile.coreRanges(poolings: poolings(at: layer), inExtent: true)
        return pass.activations[layer]!.cropped(rows: rows, columns: columns)
    }

    /// The sums over every position of `layers`' features, tile by tile.
    public func sums(of image: RGBImage, layers: [String], tileCore: Int?) -> [String: LayerSums] {
        let tiling = tiling(width: image.width, height: image.height, layers: layers, core: tileCore)
        var sums: [String: LayerSums] = [:]
        for tile in tiling.tiles {
            let pass = forward(image.cropped(to: tile.extent), layers: layers)
            for layer in layers { sums[layer, default: LayerSums(channels: pass.activations[layer]!.channels)].add(LayerSums(coreFeatures(pass, layer, tile))) }
        }
        return sums
    }

    /// The whole image's features at `layers`, put together from the tiles' cores.
    public func features(of image: RGBImage, layers: [String], tileCore: Int?) -> [String: Tensor] {
        let tiling = tiling(width: image.width, height: image.height, layers: layers, core: tileCore)
        if tiling.isWhole { return forward(image, layers: layers).activations }
        var features: [String: Tensor] = [:]
        for tile in tiling.tiles {
            let pass = forward(image.cropped(to: tile.extent), layers: layers)
            for layer in layers {
                let p = poolings(at: layer), channels = pass.activations[layer]!.channels
                let (rows, columns) = tile.coreRanges(poolings: p, inExtent: false)
                features[layer, default: Tensor(channels: channels, height: image.height >> p, width: image.width >> p)]
                    .add(coreFeatures(pass, layer, tile), top: rows.lowerBound, left: columns.lowerBound)
            }
        }
        return features
    }
}

// Keeping a render within a memory budget. Memory grows with the pixels: a whole VGG pass
// holds every layer's activations and more (about 2.4 KB a pixel to block5_conv1), the optimiser its
// vectors (L-BFGS-B with 10 pairs about 750 bytes a pixel, Adam 96) and the render its
// images. Before rendering, each scale gets the largest tile (Tiling.swift) that keeps the
// estimate within the budget; the whole image where it fits in one. A render that cannot
// fit even in the smallest tiles is refused before it starts, with the figures.
// The estimates are upper bounds fitted to measured peaks (README, "Print sizes").

public struct MemoryPlan: Sendable, Equatable {
    /// What one scale is given: its evaluations' tile core (nil: whole) and the bytes it is
    /// expected to hold at most.
    public struct Scale: Sendable, Equatable, Codable {
        public var size: Int
        public var tileCore: Int?
        public var bytes: UInt64
    }

    public var scales: [Scale]
    public var budget: UInt64?

    /// The most any scale is expected to hold.
    public var peakBytes: UInt64 { scales.map(\.bytes).max() ?? 0 }

    /// Tile cores tried, largest first: below 128 px the halos would cost far more than the cores.
    static let cores = [3072, 2048, 1536, 1024, 768, 512, 384, 256, 128]
    /// The process, the model and its transformed weights (about 200 MB measured).
    static let baseline: UInt64 = 256 << 20

    /// The plan for `settings` with this content and these (trimmed) styles, within `budget`
    /// bytes (nil: no budget, every scale whole). The styles' passes (for their Grams) take the
    /// same tiles as the content's, so the largest picture at a scale decides.
    public init(settings: JobSettings, network: VGG, content: RGBImage, styles: [RGBImage], budget: UInt64?) throws(JobSettings.Invalid) {
        self.budget = budget
        let layers = settings.objective.layers
        let depth = settings.depth(in: network), halo = network.halo(forDepth: depth), minimumSide = network.minimumSide(forDepth: depth)
        let originals = UInt64(content.width * content.height + styles.reduce(0) { $0 + $1.width * $1.height }) * 12
        let gigabytes = { (bytes: UInt64) in String(format: "%.1f GB", Double(bytes) / 1e9) }
        scales = []
        for (index, step) in settings.scales.enumerated() {
            let side = content.sizeForLongerSide(step.size)
            let pixels = UInt64(side.width * side.height)
            let pictures = [(Double(side.width), Double(side.height))] + styles.map { style in
                let longer = settings.styleSize(of: style, atSize: step.size, minimumSide: minimumSide).side
                let aspect = Double(min(style.width, style.height)) / Double(max(style.width, style.height))
                return style.width >= style.height ? (longer, longer * aspect) : (longer * aspect, longer)
            }
            /// The most pixels one pass reads: of the largest picture, or of its largest tile.
            func extent(_ core: Int?) -> UInt64 {
                let reach = Double(core.map { $0 + 2 * halo } ?? Int.max)
                return UInt64(pictures.map { min($0.0, reach) * min($0.1, reach) }.max()!)
            }
            let optimizer = settings.optimizer(atScale: index)
            let values = 3 * Int(pixels), history = settings.lbfgsb.history
            // setulb_ indexes its work array with 32-bit Fortran integers.
            guard optimizer == .adam || 2 * history * values + 5 * values + 11 * history * history + 8 * history <= Int(Int32.max) else {
                throw JobSettings.Invalid(field: "size", reason: "at size \(step.size) L-BFGS-B with history \(history) needs more work space than its 32-bit indices reach; use top_optimizer = \"adam\"")
            }
            let optimizerBytes = optimizer == .adam ? 96 * pixels : UInt64(3 * (88 + 16 * history)) * pixels
            // Each style at the scale's size, as read and as prepared for the colour mode; six
            // float images of the scale's size (the content, the iterate evaluated, its gradient,
            // the image reported, the start, the total variation's gradient), the average of
            // iterates, and the content's targets. A 2048 px Adam render measured 171 bytes a
            // pixel besides its tiles' passes; this counts 200.
            let styleBytes = UInt64(pictures.dropFirst().reduce(0) { $0 + 24 * $1.0 * $1.1 })
            let fixed = Self.baseline + originals + styleBytes + optimizerBytes + 72 * pixels + (settings.averageDecay > 0 ? 24 * pixels : 0)
                + UInt64(network.targetFloats(layers: settings.objective.contentLayers) * 4 * Double(pixels))
            func bytes(_ core: Int?) -> UInt64 { fixed + network.passBytes(layers: layers, pixels: extent(core)) }
            guard let budget, bytes(nil) > budget else {
                scales.append(Scale(size: step.size, tileCore: nil, bytes: bytes(nil)))
                continue
            }
            let largest = Int(pictures.map { max($0.0, $0.1) }.max()!)
            guard let core = Self.cores.filter({ $0 < largest }).first(where: { bytes($0) <= budget }) else {
                throw JobSettings.Invalid(field: "size",
                                          reason: "at size \(step.size) this render needs \(gigabytes(bytes(Self.cores.last!))) even in the smallest tiles (the optimiser \(optimizer.rawValue) alone \(gigabytes(optimizerBytes))), more than the memory budget of \(gigabytes(budget)); make it smaller, or use top_optimizer = \"adam\"")
            }
            guard settings.objective.activeHistogramLayers.isEmpty else {
                throw JobSettings.Invalid(field: "histogram_weight",
                                          reason: "the histogram loss needs the whole image's features at once: at size \(step.size) that is \(gigabytes(bytes(nil))), more than the memory budget of \(gigabytes(budget))")
            }
            scales.append(Scale(size: step.size, tileCore: core, bytes: bytes(core)))
        }
    }
}

extension VGG {
    /// Floats per image pixel of the features at `layers` (each pooling quarters them).
    func targetFloats(layers: [String]) -> Double {
        layers.compactMap(index(of:)).reduce(0) { sum, i in sum + Double(convolutions[i].outputChannels) / Double(1 << (2 * poolings(at: layerNames[i]))) }
    }

    /// Bytes an evaluation's forward and backward pass to `layers` holds for `pixels` image
    /// pixels: every convolution's output up to the deepest layer, and six more of the largest
    /// (the gradients flowing back, the convolution's workspace, the losses' gradients), in
    /// float32. To block5_conv1 that is 2.6 KB a pixel, where 2.44 KB was measured (`styled
    /// bench --max-memory-gb`, the growth of the peak from 512 to 1024 px).
    func passBytes(layers: [String], pixels: UInt64) -> UInt64 {
        let depth = depth(reaching: layers)
        let kept = targetFloats(layers: Array(layerNames.prefix(depth)))
        let largest = layerNames.prefix(depth).map { targetFloats(layers: [$0]) }.max() ?? 0
        return UInt64((kept + 6 * largest) * 4 * Double(pixels))
    }
}

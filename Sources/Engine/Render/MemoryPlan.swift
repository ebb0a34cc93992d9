// Keeping a render within a memory budget. Memory grows with the pixels: a whole VGG pass
// holds every layer's activations (about 2 KB a pixel to block5_conv1), the optimiser its
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
    /// bytes (nil: no budget, every scale whole).
    public init(settings: JobSettings, network: VGG, content: RGBImage, styles: [RGBImage], budget: UInt64?) throws(JobSettings.Invalid) {
        self.budget = budget
        let layers = settings.objective.contentLayers + settings.objective.styleLayers + settings.objective.activeHistogramLayers
        let depth = settings.depth(in: network), halo = network.halo(forDepth: depth), minimumSide = network.minimumSide(forDepth: depth)
        let originals = UInt64(content.width * content.height + styles.reduce(0) { $0 + $1.width * $1.height }) * 12
        scales = []
        for (index, step) in settings.scales.enumerated() {
            let side = content.sizeForLongerSide(step.size)
            let pixels = UInt64(side.width * side.height)
            // Each style at the scale's size, as read and as prepared for the colour mode.
            let styleBytes = styles.reduce(0.0) { $0 + 24 * settings.styleSize(of: $1, atSize: step.size, minimumSide: minimumSide).pixels }
            let optimizer = settings.optimizer(atScale: index)
            let optimizerBytes = optimizer == .adam ? 96 * pixels : UInt64(3 * (88 + 16 * settings.lbfgsb.history)) * pixels
            // Six float images of the scale's size (the content, the iterate evaluated, its
            // gradient, the image reported, the start, the total variation's gradient), the
            // average of iterates, and the content's targets. A 2048 px Adam render measured
            // 171 bytes a pixel besides its tiles' passes; this counts 200.
            let fixed = Self.baseline + originals + UInt64(styleBytes) + optimizerBytes + 72 * pixels + (settings.averageDecay > 0 ? 24 * pixels : 0)
                + UInt64(network.targetFloats(layers: settings.objective.contentLayers) * 4 * Double(pixels))
            let whole = fixed + network.passBytes(layers: layers, pixels: pixels)
            guard let budget, whole > budget else {
                scales.append(Scale(size: step.size, tileCore: nil, bytes: whole))
                continue
            }
            let candidates = Self.cores.filter { $0 < max(side.width, side.height) }
            let fitting = candidates.first { core in
                let extent = UInt64(min(side.width, core + 2 * halo) * min(side.height, core + 2 * halo))
                return fixed + network.passBytes(layers: layers, pixels: extent) <= budget
            }
            let smallest = UInt64(min(side.width, 128 + 2 * halo) * min(side.height, 128 + 2 * halo))
            guard let core = fitting, settings.objective.activeHistogramLayers.isEmpty else {
                let gigabytes = { (bytes: UInt64) in String(format: "%.1f GB", Double(bytes) / 1e9) }
                if fitting != nil {
                    throw JobSettings.Invalid(field: "histogram_weight",
                                              reason: "the histogram loss needs the whole image's features at once: at size \(step.size) that is \(gigabytes(whole)), more than the memory budget of \(gigabytes(budget))")
                }
                throw JobSettings.Invalid(field: "size",
                                          reason: "at size \(step.size) this render needs \(gigabytes(fixed + network.passBytes(layers: layers, pixels: smallest))) even in the smallest tiles (the optimiser \(optimizer.rawValue) alone \(gigabytes(optimizerBytes))), more than the memory budget of \(gigabytes(budget)); make it smaller, or use top_optimizer = \"adam\"")
            }
            let extent = UInt64(min(side.width, core + 2 * halo) * min(side.height, core + 2 * halo))
            scales.append(Scale(size: step.size, tileCore: core, bytes: fixed + network.passBytes(layers: layers, pixels: extent)))
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
        let depth = (layers.compactMap(index(of:)).max() ?? -1) + 1
        let kept = targetFloats(layers: Array(layerNames.prefix(depth)))
        let largest = layerNames.prefix(depth).map { targetFloats(layers: [$0]) }.max() ?? 0
        return UInt64((kept + 6 * largest) * 4 * Double(pixels))
    }
}

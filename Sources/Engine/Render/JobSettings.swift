/// Everything a job's render is decided by besides its pictures and the model's weights: the
/// scales and their iterations, the objective, the start, the optimiser, the colour handling
/// and which iterations are frames. Its parameters' defaults are `JobSettings.Defaults`.
public struct JobSettings: Sendable {
    /// Smallest first (one for a plain render); the last is the job's size.
    public var scales: [ScaleStep]
    public var objective: ObjectiveSettings
    public var initial: InitialImage
    /// Seeds the noise of a `.noise` start.
    public var seed: Int
    /// The model's name as the job gives it, for messages (its weights are handed over apart).
    public var model: String
    public var pooling: Pooling
    public var edges: EdgePadding
    /// A style image's longer side over the content's, at every scale.
    public var styleScale: Double
    public var optimizer: OptimizerKind
    /// The last scale's optimiser, where it differs (a print render's top scale may not hold
    /// L-BFGS-B's memory; MemoryPlan.swift).
    public var topOptimizer: OptimizerKind?
    public var lbfgsb: LBFGSB
    public var adam: Adam
    /// The decay of the average of iterates a render shows (IterateAverage.swift); 0: none.
    public var averageDecay: Double
    public var preserveColors: ColourPreservation
    public var frames: FrameCadence

    public init(scales: [ScaleStep], objective: ObjectiveSettings, initial: InitialImage, seed: Int, model: String, pooling: Pooling,
                edges: EdgePadding = .zero, styleScale: Double, optimizer: OptimizerKind, topOptimizer: OptimizerKind? = nil, lbfgsb: LBFGSB, adam: Adam,
                averageDecay: Double = 0, preserveColors: ColourPreservation, frames: FrameCadence) {
        self.scales = scales
        self.objective = objective
        self.initial = initial
        self.seed = seed
        self.model = model
        self.pooling = pooling
        self.edges = edges
        self.styleScale = styleScale
        self.optimizer = optimizer
        self.topOptimizer = topOptimizer
        self.lbfgsb = lbfgsb
        self.adam = adam
        self.averageDecay = averageDecay
        self.preserveColors = preserveColors
        self.frames = frames
    }

    /// The result's longer side: the last scale's.
    public var size: Int { scales[scales.count - 1].size }

    /// The iterations of all scales: the render's last iteration number.
    public var iterations: Int { scales.reduce(0) { $0 + $1.iterations } }

    /// The number the render gives a scale's start; its iterations count on from it. Later
    /// scales start at their planned place even when an earlier one converged sooner.
    public func firstIteration(ofScale index: Int) -> Int { scales[..<index].reduce(0) { $0 + $1.iterations } }

    /// The optimiser a scale runs.
    public func optimizer(atScale index: Int) -> OptimizerKind { index == scales.count - 1 ? topOptimizer ?? optimizer : optimizer }

    /// The optimisation at a scale, under that scale's objective.
    func renderSettings(atScale index: Int, objective: ObjectiveSettings) -> RenderSettings {
        RenderSettings(objective: objective, iterations: scales[index].iterations, optimizer: optimizer(atScale: index), lbfgsb: lbfgsb, adam: adam,
                       averageDecay: averageDecay)
    }
}

extension JobSettings {
    /// Settings that do not fit the model or the pictures: the job parameter at fault and why.
    public struct Invalid: Error, Equatable {
        public var field: String
        public var reason: String
    }

    /// The job's checks that need its model and pictures (the manifest checks each value
    /// alone): every layer exists; the content at the smallest scale is large enough for the
    /// deepest layer used; no style grows past `maxPixels` at any scale.
    public func validate(network: VGG, content: RGBImage, styles: [StyleImage], maxPixels: UInt64) throws(Invalid) {
        for (field, layers) in [("content_layers", objective.contentLayers), ("style_layers", objective.styleLayers),
                                ("histogram_layers", objective.activeHistogramLayers)] {
            if let unknown = layers.first(where: { network.index(of: $0) == nil }) {
                throw Invalid(field: field, reason: "\(model) has no layer `\(unknown)`; its layers are \(network.layerNames.joined(separator: ", "))")
            }
        }
        let depth = depth(in: network), minimumSide = network.minimumSide(forDepth: depth)
        let smallest = content.sizeForLongerSide(scales[0].size)
        guard min(smallest.width, smallest.height) >= minimumSide else {
            throw Invalid(field: scales.count > 1 ? "scales" : "size",
                          reason: "at size \(scales[0].size) the content is \(smallest.width)×\(smallest.height), too small for \(network.layerNames[depth - 1]) (needs \(minimumSide) px a side)")
        }
        for step in scales {
            for style in styles {
                let (_, pixels) = styleSize(of: style.image, atSize: step.size, minimumSide: minimumSide)
                guard pixels <= Double(maxPixels) else {
                    throw Invalid(field: "style_scale",
                                  reason: "at size \(step.size), style_scale \(styleScale) would make `\(style.name)` more than the limit of \(maxPixels) pixels")
                }
            }
        }
    }

    /// How many of the network's layers the objective runs through, histogram layers too.
    func depth(in network: VGG) -> Int {
        network.depth(reaching: objective.layers)
    }

    /// A style's longer side at a scale: `styleScale` × the scale's, but no less than gives its
    /// shorter side the `minimumSide` the deepest layer needs; and its pixels at that side. In
    /// floating point, as `styleScale` may be any size: `validate` bounds the pixels before a
    /// render rounds the side.
    func styleSize(of style: RGBImage, atSize size: Int, minimumSide: Int) -> (side: Double, pixels: Double) {
        let longer = Double(max(style.width, style.height)), shorter = Double(min(style.width, style.height))
        let side = max(styleScale * Double(size), (Double(minimumSide) * longer / shorter).rounded(.up))
        return (side, side * side * shorter / longer)
    }
}

import Engine

/// Every parameter of a job, decided: what the renderer runs and `report.json` records.
struct ResolvedJob: Codable, Equatable {
    var content: String
    var style: [JobParameters.Style]
    var size: Int
    var iterations: Int
    var contentWeight: Double
    var styleWeight: Double
    var tvWeight: Double
    var initial: String
    var seed: Int
    var model: String
    var contentLayers: [String]
    var styleLayers: [String]
    var styleLayerWeights: [Double]
    var styleScale: Double
    var optimizer: OptimizerKind
    var history: Int
    var tolerance: Double
    var learningRate: Double
    var pooling: Pooling
    var frameEvery: Int
    var frameDelay: Int
    var animationSize: Int
    var format: ImageFormat
    var quality: Int
    var profile: String?
    var preserveColors: ColourPreservation
    var histogramWeight: Double
    var histogramLayers: [String]
    /// The scales, smallest first (one for a plain render); their iterations sum to `iterations`.
    var scales: [ScaleStep]

    enum CodingKeys: String, CodingKey {
        case content, style, size, iterations, seed, model, optimizer, history, tolerance, pooling, format, quality, profile, scales
        case preserveColors = "preserve_colors", histogramWeight = "histogram_weight", histogramLayers = "histogram_layers"
        case contentWeight = "content_weight", styleWeight = "style_weight", tvWeight = "tv_weight", initial = "init"
        case contentLayers = "content_layers", styleLayers = "style_layers", styleLayerWeights = "style_layer_weights"
        case styleScale = "style_scale", learningRate = "learning_rate", frameEvery = "frame_every"
        case frameDelay = "frame_delay", animationSize = "animation_size"
    }

    var objective: ObjectiveSettings {
        ObjectiveSettings(contentLayers: contentLayers, styleLayers: styleLayers, styleLayerWeights: styleLayerWeights,
                          contentWeight: contentWeight, styleWeight: styleWeight, tvWeight: tvWeight,
                          histogramLayers: histogramLayers, histogramWeight: histogramWeight)
    }

    var renderSettings: RenderSettings {
        RenderSettings(objective: objective, iterations: iterations, optimizer: optimizer,
                       lbfgsb: LBFGSB(history: history, tolerance: tolerance), adam: Adam(learningRate: learningRate))
    }
}

extension JobParameters {
    /// Fills what is unset with styled's defaults; a job needs at least its content and style.
    func resolved(file: String) throws -> ResolvedJob {
        guard let content else { throw ManifestError(file: file, field: "content", reason: "missing: name the content image") }
        guard let style else { throw ManifestError(file: file, field: "style", reason: "missing: name at least one style image") }
        let defaults = ObjectiveSettings()
        let styleLayers = self.styleLayers ?? defaults.styleLayers
        if let weights = styleLayerWeights, weights.count != styleLayers.count {
            throw ManifestError(file: file, field: "style_layer_weights",
                                reason: "has \(weights.count) weights for \(styleLayers.count) style layers")
        }
        let size = self.size ?? 512
        let scaleSteps = CoarseToFine.schedule(size: size, scales: scales ?? 1, factor: scaleFactor ?? 2, iterations: iterations ?? 500,
                                               split: scaleIterations,
                                               minimumSize: CoarseToFine.smallestSize)
        if let scaleIterations, scaleIterations.count != scaleSteps.count {
            throw ManifestError(file: file, field: "scale_iterations",
                                reason: "has \(scaleIterations.count) counts for \(scaleSteps.count) scales (\(scaleSteps.map { String($0.size) }.joined(separator: ", ")) px)")
        }
        return ResolvedJob(
            content: content, style: style, size: size, iterations: scaleSteps.reduce(0) { $0 + $1.iterations },
            contentWeight: contentWeight ?? defaults.contentWeight, styleWeight: styleWeight ?? defaults.styleWeight,
            tvWeight: tvWeight ?? defaults.tvWeight, initial: initial ?? "content", seed: seed ?? 0, model: model ?? "vgg16",
            contentLayers: contentLayers ?? defaults.contentLayers, styleLayers: styleLayers,
            styleLayerWeights: styleLayerWeights ?? ObjectiveSettings(styleLayers: styleLayers).resolvedStyleLayerWeights,
            styleScale: styleScale ?? 1, optimizer: optimizer ?? .lbfgsb, history: history ?? 10, tolerance: tolerance ?? 0,
            learningRate: learningRate ?? 4, pooling: pooling ?? .max, frameEvery: frameEvery ?? 20, frameDelay: frameDelay ?? 10,
            animationSize: animationSize ?? 512, format: format ?? .png, quality: quality ?? 95, profile: profile,
            preserveColors: preserveColors ?? .none, histogramWeight: histogramWeight ?? 0,
            histogramLayers: histogramLayers ?? defaults.histogramLayers, scales: scaleSteps)
    }
}

import Engine
import Foundation

/// Every parameter of a job, decided: what the manifest asked for as `report.json` and the
/// checkpoint record it, and what the renderer runs (as Engine's `settings`).
struct ResolvedJob: Codable, Equatable {
    var content: String
    var style: [JobParameters.Style]
    var size: Int
    var iterations: Int
    var contentWeight: Double
    var styleWeight: Double
    var tvWeight: Double
    var initial: InitialImage
    var seed: Int
    var model: String
    var contentLayers: [String]
    var styleLayers: [String]
    var styleLayerWeights: [Double]
    var styleScale: Double
    var optimizer: OptimizerKind
    /// The last scale's; nil in checkpoints written before it existed (then `optimizer`).
    var topOptimizer: OptimizerKind?
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
    var recipe: Recipe
    var padding: EdgePadding
    var gramNormalisation: GramNormalisation
    var styleTrim: StyleTrim
    /// The size the given weights hold at (0: none), and what the style and histogram weights
    /// above (the effective ones) were multiplied by for this job's size.
    var weightsSize: Int
    var weightsScale: Double
    var averageDecay: Double
    var styleLoss: StyleLossKind

    enum CodingKeys: String, CodingKey {
        case content, style, size, iterations, seed, model, optimizer, history, tolerance, pooling, format, quality, profile, scales
        case preserveColors = "preserve_colors", histogramWeight = "histogram_weight", histogramLayers = "histogram_layers"
        case contentWeight = "content_weight", styleWeight = "style_weight", tvWeight = "tv_weight", initial = "init"
        case contentLayers = "content_layers", styleLayers = "style_layers", styleLayerWeights = "style_layer_weights"
        case styleScale = "style_scale", learningRate = "learning_rate", frameEvery = "frame_every"
        case frameDelay = "frame_delay", animationSize = "animation_size"
        case recipe, padding, gramNormalisation = "gram_normalisation", styleTrim = "style_trim"
        case weightsSize = "weights_size", weightsScale = "weights_scale", averageDecay = "average_decay", styleLoss = "style_loss"
        case topOptimizer = "top_optimizer"
    }

    var frames: FrameCadence { FrameCadence(every: frameEvery) }

    var settings: JobSettings {
        JobSettings(scales: scales,
                    objective: ObjectiveSettings(contentLayers: contentLayers, styleLayers: styleLayers, styleLayerWeights: styleLayerWeights,
                                                 contentWeight: contentWeight, styleWeight: styleWeight, tvWeight: tvWeight,
                                                 histogramLayers: histogramLayers, histogramWeight: histogramWeight,
                                                 gramNormalisation: gramNormalisation, styleLoss: styleLoss),
                    initial: initial, seed: seed, model: model, pooling: pooling, edges: padding, styleScale: styleScale, optimizer: optimizer, topOptimizer: topOptimizer,
                    lbfgsb: LBFGSB(history: history, tolerance: tolerance), adam: Adam(learningRate: learningRate), averageDecay: averageDecay,
                    preserveColors: preserveColors, frames: frames)
    }
}

extension JobParameters {
    /// Fills what is unset from `JobSettings.Defaults`; a job needs at least its content and style.
    func resolved(file: String) throws -> ResolvedJob {
        guard let content else { throw ManifestError(file: file, field: "content", reason: "missing: name the content image") }
        guard let style else { throw ManifestError(file: file, field: "style", reason: "missing: name at least one style image") }
        typealias Defaults = JobSettings.Defaults
        let styleLayers = self.styleLayers ?? Defaults.styleLayers
        if let weights = styleLayerWeights, weights.count != styleLayers.count {
            throw ManifestError(file: file, field: "style_layer_weights",
                                reason: "has \(weights.count) weights for \(styleLayers.count) style layers")
        }
        let size = self.size ?? Defaults.size
        let recipe = self.recipe ?? Defaults.recipe
        // The style loss is a mean over positions while the content loss is a sum, so keeping
        // their balance at another size takes the style weight × the ratio of pixel counts.
        let weightsSize = self.weightsSize ?? 0
        let weightsScale = weightsSize > 0 ? pow(Double(size) / Double(weightsSize), 2) : 1
        let scaleSteps = CoarseToFine.schedule(size: size, scales: scales ?? Defaults.scales, factor: scaleFactor ?? Defaults.scaleFactor,
                                               iterations: iterations ?? Defaults.iterations, split: scaleIterations,
                                               minimumSize: CoarseToFine.smallestSize)
        if let scaleIterations, scaleIterations.count != scaleSteps.count {
            throw ManifestError(file: file, field: "scale_iterations",
                                reason: "has \(scaleIterations.count) counts for \(scaleSteps.count) scales (\(scaleSteps.map { String($0.size) }.joined(separator: ", ")) px)")
        }
        return ResolvedJob(
            content: content, style: style, size: size, iterations: scaleSteps.reduce(0) { $0 + $1.iterations },
            contentWeight: contentWeight ?? Defaults.contentWeight, styleWeight: (styleWeight ?? Defaults.styleWeight) * weightsScale,
            tvWeight: tvWeight ?? Defaults.tvWeight, initial: initial ?? Defaults.initial, seed: seed ?? Defaults.seed,
            model: model ?? Defaults.model, contentLayers: contentLayers ?? Defaults.contentLayers, styleLayers: styleLayers,
            styleLayerWeights: styleLayerWeights ?? recipe.styleLayerWeights(count: styleLayers.count),
            styleScale: styleScale ?? Defaults.styleScale, optimizer: optimizer ?? Defaults.optimizer,
            topOptimizer: topOptimizer ?? optimizer ?? Defaults.optimizer, history: history ?? Defaults.history,
            tolerance: tolerance ?? Defaults.tolerance, learningRate: learningRate ?? Defaults.learningRate,
            pooling: pooling ?? recipe.pooling, frameEvery: frameEvery ?? Defaults.frameEvery, frameDelay: frameDelay ?? Defaults.frameDelay,
            animationSize: animationSize ?? Defaults.animationSize, format: format ?? Defaults.format, quality: quality ?? Defaults.quality,
            profile: profile, preserveColors: preserveColors ?? Defaults.preserveColors,
            histogramWeight: (histogramWeight ?? Defaults.histogramWeight) * weightsScale, histogramLayers: histogramLayers ?? Defaults.histogramLayers,
            scales: scaleSteps, recipe: recipe, padding: padding ?? recipe.edges,
            gramNormalisation: gramNormalisation ?? recipe.gramNormalisation, styleTrim: styleTrim ?? (recipe.trimsStyles ? .auto : .none),
            weightsSize: weightsSize, weightsScale: weightsScale, averageDecay: averageDecay ?? recipe.averageDecay,
            styleLoss: styleLoss ?? recipe.styleLoss)
    }
}

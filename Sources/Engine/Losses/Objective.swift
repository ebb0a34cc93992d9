// The whole objective (docs/objective.md):
//   L = c · L_c + s · Σ_l w_l E_l + v · L_tv  [+ h · L_h, the histogram loss, when h ≠ 0]
// evaluated with one forward pass to the deepest layer used and one backward pass.

public struct ObjectiveSettings: Sendable, Codable, Equatable {
    public var contentLayers: [String]
    public var styleLayers: [String]
    /// One weight per style layer; nil means 1/L each.
    public var styleLayerWeights: [Double]?
    public var contentWeight: Double
    public var styleWeight: Double
    public var tvWeight: Double
    /// The histogram loss's layers (each weighted 1/L) and weight h; h = 0 leaves it out.
    public var histogramLayers: [String]
    public var histogramWeight: Double
    public var gramNormalisation: GramNormalisation
    public var styleLoss: StyleLossKind

    public init(contentLayers: [String] = JobSettings.Defaults.contentLayers, styleLayers: [String] = JobSettings.Defaults.styleLayers,
                styleLayerWeights: [Double]? = nil, contentWeight: Double = JobSettings.Defaults.contentWeight,
                styleWeight: Double = JobSettings.Defaults.styleWeight, tvWeight: Double = JobSettings.Defaults.tvWeight,
                histogramLayers: [String] = JobSettings.Defaults.histogramLayers, histogramWeight: Double = JobSettings.Defaults.histogramWeight,
                gramNormalisation: GramNormalisation = .none, styleLoss: StyleLossKind = .gram) {
        self.contentLayers = contentLayers
        self.styleLayers = styleLayers
        self.styleLayerWeights = styleLayerWeights
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
        self.tvWeight = tvWeight
        self.histogramLayers = histogramLayers
        self.histogramWeight = histogramWeight
        self.gramNormalisation = gramNormalisation
        self.styleLoss = styleLoss
    }

    /// The histogram layers in use: none when h = 0.
    public var activeHistogramLayers: [String] { histogramWeight == 0 ? [] : histogramLayers }

    public var resolvedStyleLayerWeights: [Double] {
        styleLayerWeights ?? Array(repeating: 1 / Double(max(1, styleLayers.count)), count: styleLayers.count)
    }
}

/// Which statistics of a layer's features the style loss matches: the paper's Gram matrix, or
/// their mean and covariance (WassersteinStyleLoss.swift).
public enum StyleLossKind: String, Sendable, Codable, CaseIterable {
    case gram, wasserstein
}

/// What the image is pulled towards: the content image's features, the blended style Grams
/// (or, for the Wasserstein loss, moments) and, for the histogram loss, the style activations' histograms.
public struct Targets: Sendable {
    public var content: [String: Tensor]
    public var style: [String: GramMatrix]
    public var moments: [String: StyleMoments]
    public var histograms: [String: ChannelHistograms]

    public init(content: [String: Tensor], style: [String: GramMatrix], moments: [String: StyleMoments] = [:],
                histograms: [String: ChannelHistograms] = [:]) {
        self.content = content
        self.style = style
        self.moments = moments
        self.histograms = histograms
    }

    public static func content(of image: RGBImage, network: VGG, layers: [String]) -> [String: Tensor] {
        network.forward(image, layers: layers).activations
    }

    public static func grams(of image: RGBImage, network: VGG, layers: [String]) -> [String: GramMatrix] {
        network.forward(image, layers: layers).activations.mapValues(GramLoss.gram)
    }
}

/// The loss terms of one evaluation, unweighted (as the spec defines them) and the weighted total.
public struct LossTerms: Sendable, Codable, Equatable {
    public var total: Double
    public var content: Double
    public var style: Double
    public var styleLayers: [String: Double]
    public var tv: Double
    /// L_h, 0 when the histogram loss is off.
    public var histogram: Double = 0
}

public final class Objective: Sendable {
    public let network: VGG
    public let settings: ObjectiveSettings
    public let targets: Targets

    public init(network: VGG, settings: ObjectiveSettings, targets: Targets) {
        for layer in settings.contentLayers + settings.styleLayers + settings.activeHistogramLayers {
            precondition(network.index(of: layer) != nil, "\(network.architecture.rawValue) has no layer \(layer)")
        }
        self.network = network
        self.settings = settings
        self.targets = targets
    }

    /// The loss terms at `image` and the gradient of the total with respect to it. The
    /// histogram loss's remapped targets R(O) are computed from `image` unless given (as the
    /// gradient check holds them fixed).
    public func evaluate(_ image: RGBImage, remapped given: [String: Tensor]? = nil) -> (terms: LossTerms, gradient: Tensor) {
        let histogramLayers = settings.activeHistogramLayers
        let pass = network.forward(image, layers: settings.contentLayers + settings.styleLayers + histogramLayers)
        var layerGradients: [String: Tensor] = [:]
        func accumulate(_ layer: String, _ gradient: Tensor, _ weight: Double) {
            layerGradients[layer, default: Tensor(channels: gradient.channels, height: gradient.height, width: gradient.width)]
                .add(gradient, scaled: Float(weight))
        }
        var content = 0.0
        for layer in settings.contentLayers {
            let (loss, gradient) = ContentLoss.evaluate(features: pass.activations[layer]!, target: targets.content[layer]!)
            content += loss
            accumulate(layer, gradient, settings.contentWeight)
        }
        var style = 0.0
        var styleLayers: [String: Double] = [:]
        for (layer, weight) in zip(settings.styleLayers, settings.resolvedStyleLayerWeights) {
            let (loss, gradient) = switch settings.styleLoss {
            case .gram: GramLoss.evaluate(features: pass.activations[layer]!, target: targets.style[layer]!, normalisation: settings.gramNormalisation)
            case .wasserstein: WassersteinStyleLoss.evaluate(features: pass.activations[layer]!, target: targets.moments[layer]!)
            }
            styleLayers[layer] = loss
            style += weight * loss
            accumulate(layer, gradient, settings.styleWeight * weight)
        }
        var histogram = 0.0
        for layer in histogramLayers {
            let features = pass.activations[layer]!
            let target = given?[layer] ?? HistogramLoss.remap(features, to: targets.histograms[layer]!)
            let (loss, gradient) = HistogramLoss.evaluate(features: features, remapped: target)
            let weight = 1 / Double(histogramLayers.count)
            histogram += weight * loss
            accumulate(layer, gradient, settings.histogramWeight * weight)
        }
        var gradient = network.backward(pass, gradients: layerGradients)
        // L_tv is logged even when v = 0.
        let (tv, tvGradient) = TotalVariation.evaluate(image.pixels)
        if settings.tvWeight != 0 { gradient.add(tvGradient, scaled: Float(settings.tvWeight)) }
        let total = settings.contentWeight * content + settings.styleWeight * style + settings.tvWeight * tv + settings.histogramWeight * histogram
        return (LossTerms(total: total, content: content, style: style, styleLayers: styleLayers, tv: tv, histogram: histogram), gradient)
    }

    /// R(O) at each histogram layer for `image`.
    public func histogramTargets(for image: RGBImage) -> [String: Tensor] {
        let layers = settings.activeHistogramLayers
        return network.forward(image, layers: layers).activations.reduce(into: [:]) { targetsByLayer, entry in
            targetsByLayer[entry.key] = HistogramLoss.remap(entry.value, to: targets.histograms[entry.key]!)
        }
    }
}

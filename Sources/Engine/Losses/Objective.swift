// The whole objective (docs/objective.md):
//   L = c · L_c + s · Σ_l w_l E_l + v · L_tv  [+ h · L_h, the histogram loss, when h ≠ 0]
// evaluated with one forward pass to the deepest layer used and one backward pass (in tiles,
// two forward passes; Tiling.swift).

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

    /// Every layer a loss reads: what a forward pass must reach.
    public var layers: [String] { contentLayers + styleLayers + activeHistogramLayers }

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

    /// In tiles with cores of `tileCore` px where given (Tiling.swift).
    public static func content(of image: RGBImage, network: VGG, layers: [String], tileCore: Int? = nil) -> [String: Tensor] {
        network.features(of: image, layers: layers, tileCore: tileCore)
    }

    public static func grams(of image: RGBImage, network: VGG, layers: [String], tileCore: Int? = nil) -> [String: GramMatrix] {
        network.sums(of: image, layers: layers, tileCore: tileCore).mapValues(\.gram)
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
    /// Evaluate images larger than one tile in tiles with cores of this side (Tiling.swift); nil: whole.
    public let tileCore: Int?

    public init(network: VGG, settings: ObjectiveSettings, targets: Targets, tileCore: Int? = nil) {
        for layer in settings.layers {
            precondition(network.index(of: layer) != nil, "\(network.architecture.rawValue) has no layer \(layer)")
        }
        self.network = network
        self.settings = settings
        self.targets = targets
        self.tileCore = tileCore
    }

    /// The tiling an image of this size is evaluated in.
    public func tiling(width: Int, height: Int) -> Tiling {
        network.tiling(width: width, height: height, layers: settings.layers, core: tileCore)
    }

    /// The loss terms at `image` and the gradient of the total with respect to it. The
    /// histogram loss's remapped targets R(O) are computed from `image` unless given (as the
    /// gradient check holds them fixed).
    /// In tiles, it takes two passes: the first sums the style layers' statistics over every
    /// core, the second takes each core's loss gradient back through its tile. The last tile's
    /// forward pass serves both, so a whole image is passed forward once.
    public func evaluate(_ image: RGBImage, remapped given: [String: Tensor]? = nil) -> (terms: LossTerms, gradient: Tensor) {
        guard let result = evaluate(image, remapped: given, abandon: { false }) else { preconditionFailure("an evaluation never abandoned was") }
        return result
    }

    /// The same, given up between two tiles once `abandon` returns true (nil then): a print
    /// render's evaluation takes minutes, and a render told to stop goes on from its last
    /// checkpoint anyway.
    public func evaluate(_ image: RGBImage, remapped given: [String: Tensor]? = nil, abandon: () -> Bool) -> (terms: LossTerms, gradient: Tensor)? {
        let tiling = tiling(width: image.width, height: image.height)
        let histogramLayers = settings.activeHistogramLayers
        precondition(histogramLayers.isEmpty || tiling.isWhole, "the histogram loss needs the whole image's features")
        let layers = settings.layers
        func pass(_ tile: Tiling.Tile) -> VGG.Pass { network.forward(image.cropped(to: tile.extent), layers: layers) }

        // Pass 1: the style layers' sums, then each layer's loss and its gradient's rule.
        var sums: [String: LayerSums] = [:]
        var kept: VGG.Pass?
        // (Without style layers only the last tile's pass is needed here.)
        for tile in settings.styleLayers.isEmpty ? [tiling.tiles.last!] : tiling.tiles {
            if kept != nil && abandon() { return nil }
            kept = nil  // one pass in memory at a time
            kept = pass(tile)
            for layer in Set(settings.styleLayers) {
                sums[layer, default: LayerSums(channels: kept!.activations[layer]!.channels)].add(LayerSums(network.coreFeatures(kept!, layer, tile)))
            }
        }
        var style = 0.0
        var styleLayers: [String: Double] = [:]
        var styleGradients: [(layer: String, rule: StyleGradient, weight: Double)] = []
        for (layer, weight) in zip(settings.styleLayers, settings.resolvedStyleLayerWeights) {
            let (loss, rule) = switch settings.styleLoss {
            case .gram: GramLoss.evaluate(sums: sums[layer]!, target: targets.style[layer]!, normalisation: settings.gramNormalisation)
            case .wasserstein: WassersteinStyleLoss.evaluate(sums: sums[layer]!, target: targets.moments[layer]!)
            }
            styleLayers[layer] = loss
            style += weight * loss
            styleGradients.append((layer, rule, settings.styleWeight * weight))
        }

        // Pass 2: each tile's gradient, from its core's features, the last tile's first.
        var gradient = Tensor(channels: 3, height: image.height, width: image.width)
        var content = 0.0, histogram = 0.0
        for tile in [tiling.tiles.last!] + tiling.tiles.dropLast() {
            if kept == nil && abandon() { return nil }
            let pass = kept ?? pass(tile)
            kept = nil
            var layerGradients: [String: Tensor] = [:]
            func accumulate(_ layer: String, _ coreGradient: Tensor, _ weight: Double) {
                let features = pass.activations[layer]!
                let (rows, columns) = tile.coreRanges(poolings: network.poolings(at: layer), inExtent: true)
                layerGradients[layer, default: Tensor(channels: features.channels, height: features.height, width: features.width)]
                    .add(coreGradient, scaled: Float(weight), top: rows.lowerBound, left: columns.lowerBound)
            }
            for layer in settings.contentLayers {
                let (rows, columns) = tile.coreRanges(poolings: network.poolings(at: layer), inExtent: false)
                let (loss, coreGradient) = ContentLoss.evaluate(features: network.coreFeatures(pass, layer, tile),
                                                                target: targets.content[layer]!.cropped(rows: rows, columns: columns))
                content += loss
                accumulate(layer, coreGradient, settings.contentWeight)
            }
            for (layer, rule, weight) in styleGradients { accumulate(layer, rule.apply(to: network.coreFeatures(pass, layer, tile)), weight) }
            for layer in histogramLayers {
                let features = pass.activations[layer]!
                let target = given?[layer] ?? HistogramLoss.remap(features, to: targets.histograms[layer]!)
                let (loss, layerGradient) = HistogramLoss.evaluate(features: features, remapped: target)
                let weight = 1 / Double(histogramLayers.count)
                histogram += weight * loss
                accumulate(layer, layerGradient, settings.histogramWeight * weight)
            }
            let tileGradient = network.backward(pass, gradients: layerGradients)
            if tiling.isWhole { gradient = tileGradient } else { gradient.add(tileGradient, top: tile.extent.y, left: tile.extent.x) }
        }
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

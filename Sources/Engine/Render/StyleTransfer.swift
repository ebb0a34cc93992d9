import Foundation

// Style transfer itself (Gatys, Ecker & Bethge 2016), read top to bottom:
//   1. targets: the content image's features and the style images' blended Gram matrices
//      (and their activations' histograms, for the histogram loss);
//   2. a starting image: noise, the content, a style image, or a given picture;
//   3. minimise c·L_c + s·L_s + v·L_tv (+ h·L_h) over the image's pixels within [0, 255],
//      reporting every iteration to the caller, who may stop it.
// Around it, a job's render (JobRender.swift) runs it once per scale (CoarseToFine.swift),
// with the inputs colour preservation prepares (ColourPreservation.swift).

public enum OptimizerKind: String, Sendable, Codable {
    case lbfgsb = "lbfgs", adam
}

public struct RenderSettings: Sendable {
    public var objective: ObjectiveSettings
    public var iterations: Int
    public var optimizer: OptimizerKind
    public var lbfgsb: LBFGSB
    public var adam: Adam
    /// The decay of the average of iterates shown and returned (IterateAverage.swift); 0: none.
    public var averageDecay: Double

    public init(objective: ObjectiveSettings = ObjectiveSettings(), iterations: Int = JobSettings.Defaults.iterations,
                optimizer: OptimizerKind = JobSettings.Defaults.optimizer,
                lbfgsb: LBFGSB = LBFGSB(), adam: Adam = Adam(), averageDecay: Double = 0) {
        self.objective = objective
        self.iterations = iterations
        self.optimizer = optimizer
        self.lbfgsb = lbfgsb
        self.adam = adam
        self.averageDecay = averageDecay
    }
}

public struct StyleTransfer: Sendable {
    public let objective: Objective

    /// The objective for a content image and weighted style images, all already at their
    /// render sizes. Style Grams can be given (e.g. from a cache) instead of computed. Images
    /// larger than one tile of `tileCore` px are evaluated in tiles (Tiling.swift).
    public init(network: VGG, settings: ObjectiveSettings, content: RGBImage,
                styles: [(image: RGBImage, weight: Double)], styleGrams: [[String: GramMatrix]]? = nil, tileCore: Int? = nil) {
        let grams = styleGrams ?? styles.map { Targets.grams(of: $0.image, network: network, layers: settings.styleLayers, tileCore: tileCore) }
        func normalised(_ gram: GramMatrix, of style: RGBImage, at layer: String) -> GramMatrix {
            guard settings.gramNormalisation == .positions else { return gram }
            let positions = Float(max(1, network.positions(at: layer, height: style.height, width: style.width)))
            return GramMatrix(size: gram.size, values: gram.values.map { $0 / positions })
        }
        let blended = Dictionary(uniqueKeysWithValues: settings.styleLayers.map { layer in
            (layer, GramMatrix.blend(zip(grams, styles).map { (normalised($0[layer]!, of: $1.image, at: layer), $1.weight) }))
        })
        // The Wasserstein loss needs the styles' mean features too, which Grams do not keep.
        let momentLayers = settings.styleLoss == .wasserstein ? settings.styleLayers : []
        let means = momentLayers.isEmpty ? [] : styles.map { network.sums(of: $0.image, layers: momentLayers, tileCore: tileCore).mapValues(\.means) }
        let moments = Dictionary(uniqueKeysWithValues: momentLayers.map { layer in
            (layer, StyleMoments(blending: styles.indices.map { k in
                (grams[k][layer]!, means[k][layer]!, network.positions(at: layer, height: styles[k].image.height, width: styles[k].image.width),
                 styles[k].weight)
            }))
        })
        let histogramLayers = settings.activeHistogramLayers
        let styleFeatures = histogramLayers.isEmpty ? [] : styles.map { network.forward($0.image, layers: histogramLayers).activations }
        let histograms = Dictionary(uniqueKeysWithValues: histogramLayers.map { layer in
            (layer, ChannelHistograms(blending: zip(styleFeatures, styles).map { ($0[layer]!, $1.weight) }))
        })
        let targets = Targets(content: Targets.content(of: content, network: network, layers: settings.contentLayers, tileCore: tileCore),
                              style: blended, moments: moments, histograms: histograms)
        objective = Objective(network: network, settings: settings, targets: targets, tileCore: tileCore)
    }

    /// Seeded uniform noise in 0...255.
    public static func noise(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var generator = SeededGenerator(seed: seed)
        return RGBImage(pixels: Tensor(channels: 3, height: height, width: width,
                                       data: (0..<3 * width * height).map { _ in Float.random(in: 0...255, using: &generator) }))
    }

    /// Optimises from `start`; `onIteration` gets iteration 0 (the start, evaluated even when
    /// there are no iterations to run) and every iteration after, and returns false to stop
    /// early. Reports and checkpoints count from `position`. Where `wantsCheckpoint(iteration)`
    /// is true, the report carries a checkpoint; rendering again with `resume:` that checkpoint
    /// goes on from the iteration after it, exactly, counting on from it (no iteration 0 then).
    /// Returns the last image and why it stopped: a loss or gradient that overflows stops the
    /// render before anything sees it (`nonFiniteLoss`). With `averageDecay`, the images
    /// reported and returned are the average of the iterates; the losses stay the iterates'.
    /// Once `isStopping` returns true, an evaluation in tiles is given up between two of them
    /// and the render ends `cancelled`, past its last report.
    public func render(from start: RGBImage, settings: RenderSettings, resume: RenderCheckpoint? = nil,
                       position: RenderPosition = RenderPosition(), wantsCheckpoint: (Int) -> Bool = { _ in false },
                       isStopping: () -> Bool = { false },
                       onIteration: (IterationReport) -> Bool) -> (image: RGBImage, stop: StopReason) {
        let began = DispatchTime.now()
        let position = resume.map(RenderPosition.init(resuming:)) ?? position
        func elapsed() -> Double { position.seconds + Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e9 }
        let shape = start.pixels
        let size = max(shape.width, shape.height)
        func image(_ x: [Double]) -> RGBImage {
            RGBImage(pixels: Tensor(channels: 3, height: shape.height, width: shape.width, data: x.map { Float($0) }))
        }
        var x = start.pixels.data.map { Double(min(255, max(0, $0))) }
        var average = IterateAverage(decay: settings.averageDecay, start: x, resume: resume?.state)
        var lastTerms: LossTerms?
        var evaluations = resume?.state.evaluations ?? 0
        var lastIteration = resume?.state.iteration ?? 0
        var stoppedByCaller = false
        // The render's very first evaluation is never given up: its report (iteration 0) starts the log.
        let isFirst = { resume == nil && position.evaluations == 0 && evaluations == 0 }
        func evaluate(_ point: [Double], _ gradient: inout [Double]) throws(EvaluationStop) -> Double {
            guard let (terms, g) = objective.evaluate(image(point), abandon: { !isFirst() && isStopping() }) else { throw .abandoned }
            evaluations += 1
            let isStart = resume == nil && evaluations == 1
            // A weight beyond float32's range overflows the gradient while the loss may still be
            // finite; either would derail the optimiser, and neither can be logged.
            guard terms.total.isFinite, g.data.allSatisfy(\.isFinite) else {
                throw .nonFinite(iteration: position.iteration(isStart ? 0 : lastIteration + 1))
            }
            lastTerms = terms
            for i in gradient.indices { gradient[i] = Double(g.data[i]) }
            if isStart && !onIteration(IterationReport(iteration: position.iteration(0), scale: size, evaluations: position.evaluations(1),
                                                       terms: terms, seconds: elapsed(), image: image(point))) {
                stoppedByCaller = true
            }
            return terms.total
        }
        // Both optimisers report an iterate that was the point evaluated last.
        let report: (Int, Int, [Double], () -> OptimizerState) -> Bool = { iteration, evaluationCount, point, state in
            lastIteration = iteration
            average.add(point)
            let seconds = elapsed()
            let checkpoint = wantsCheckpoint(position.iteration(iteration))
                ? RenderCheckpoint(scale: position.scale, width: shape.width, height: shape.height, iteration: position.iteration(iteration),
                                   evaluations: position.evaluations(evaluationCount), seconds: seconds, state: average.saved(in: state())) : nil
            return !stoppedByCaller && onIteration(IterationReport(iteration: position.iteration(iteration), scale: size,
                                                                   evaluations: position.evaluations(evaluationCount), terms: lastTerms!,
                                                                   seconds: seconds, image: image(average.shown(point)), checkpoint: checkpoint))
        }
        do throws(EvaluationStop) {
            let stop = switch settings.optimizer {
            case .lbfgsb: try settings.lbfgsb.minimize(x: &x, lower: 0, upper: 255, iterations: settings.iterations, resume: resume?.state,
                                                       evaluate: evaluate, onIteration: report)
            case .adam: try settings.adam.minimize(x: &x, lower: 0, upper: 255, iterations: settings.iterations, resume: resume?.state,
                                                   evaluate: evaluate, onIteration: report)
            }
            // With no iterations to run the optimisers evaluate nothing; the start still is, to be reported and checked.
            if resume == nil && evaluations == 0 {
                var gradient = [Double](repeating: 0, count: x.count)
                _ = try evaluate(x, &gradient)
            }
            return (image(average.shown(x)), stoppedByCaller ? .cancelled : stop)
        } catch {
            switch error {
            case .nonFinite(let iteration): return (image(x), .nonFiniteLoss(iteration: iteration))
            case .abandoned: return (image(x), .cancelled)
            }
        }
    }
}

/// Thrown by an evaluation to stop the optimiser: the loss or its gradient at this iteration
/// overflowed, or the render was told to stop in the middle of it.
private enum EvaluationStop: Error {
    case nonFinite(iteration: Int)
    case abandoned
}

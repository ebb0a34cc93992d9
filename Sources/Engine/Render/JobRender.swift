import Foundation

// The whole render of one job, in memory: its pictures (decoded) and settings in, one
// callback out. Scale by scale, smallest first (CoarseToFine.swift), each from the last one's
// result enlarged, with inputs prepared for the colour mode (ScaleInputs.swift); iterations
// numbered over the whole render (RenderPosition.swift); a checkpoint wherever the caller
// asks, and a render resumed from one at any iteration of any scale goes on exactly.

/// A style picture of a job: its name (for messages), the image and its weight in the blend.
public struct StyleImage: Sendable {
    public var name: String
    public var image: RGBImage
    public var weight: Double

    public init(name: String, image: RGBImage, weight: Double) {
        self.name = name
        self.image = image
        self.weight = weight
    }
}

public struct JobRender {
    /// The Grams a render needs: those of style `style` at `width` × `height`, prepared for a
    /// content of `contentWidth` × `contentHeight` (a recoloured style depends on it).
    public struct GramRequest: Sendable, Equatable {
        public var style: Int
        public var width: Int
        public var height: Int
        public var contentWidth: Int
        public var contentHeight: Int
    }

    /// Gives the Grams for a request: stored ones, or the computed ones (the closure), e.g. to store them.
    public typealias GramSource = (GramRequest, () -> [String: GramMatrix]) -> [String: GramMatrix]

    /// How a render ended.
    public struct Outcome: Sendable {
        /// The last image, presented as the reports' are.
        public var image: RGBImage
        public var stop: StopReason
        /// The content's and the styles' sizes at the last scale rendered.
        public var content: (width: Int, height: Int)
        public var styles: [(width: Int, height: Int)]
        /// Whether the last image still has to be added as a frame: an animation ends on the result.
        public var endsWithNewFrame: Bool
    }

    public let settings: JobSettings
    let network: VGG
    let content: RGBImage
    let styles: [StyleImage]
    let initial: RGBImage?
    let grams: GramSource
    /// Each scale's tiles and expected memory (MemoryPlan.swift).
    public let memory: MemoryPlan

    /// Checks the settings against the model and the pictures (`JobSettings.validate`) and
    /// plans the render within `memoryBudget` bytes (nil: none): a render that is made can
    /// run. `initial` is the picture of an `InitialImage.file` start.
    public init(settings: JobSettings, weights: VGGWeights, content: RGBImage, styles: [StyleImage], initial: RGBImage? = nil,
                maxPixels: UInt64, memoryBudget: UInt64? = nil, grams: @escaping GramSource = { $1() }) throws(JobSettings.Invalid) {
        precondition(!styles.isEmpty && (settings.initial.file == nil) == (initial == nil), "a render needs a style, and the start picture it names")
        network = VGG(weights: weights, pooling: settings.pooling, edges: settings.edges)
        try settings.validate(network: network, content: content, styles: styles, maxPixels: maxPixels)
        memory = try MemoryPlan(settings: settings, network: network, content: content, styles: styles.map(\.image), budget: memoryBudget)
        (self.settings, self.content, self.styles, self.initial, self.grams) = (settings, content, styles, initial, grams)
    }

    /// Whether a checkpoint is of this render: its scale is one of the settings' and its image
    /// the content's size there (a content changed under it is not).
    public func canResume(from checkpoint: RenderCheckpoint) -> Bool {
        guard settings.scales.indices.contains(checkpoint.scale) else { return false }
        let side = content.sizeForLongerSide(settings.scales[checkpoint.scale].size)
        return checkpoint.width == side.width && checkpoint.height == side.height
    }

    /// Renders every scale (from `resume`'s, if it `canResume`), reporting each iteration to
    /// `onIteration`, which returns false to stop. Where `wantsCheckpoint(iteration)` is true,
    /// that report carries a checkpoint. A loss that overflows stops the render at once
    /// (`StopReason.nonFiniteLoss`, the iteration counted over the render). Once `isStopping`
    /// is true, an evaluation in tiles is given up and the render ends `cancelled`.
    /// `betweenScales` runs after a scale's memory is freed and before the next one's is taken.
    public func run(resume: RenderCheckpoint? = nil, wantsCheckpoint: (Int) -> Bool = { _ in false }, isStopping: () -> Bool = { false },
                    betweenScales: () -> Void = {}, onIteration: (IterationReport) -> Bool) -> Outcome {
        let began = DispatchTime.now()
        let resume = resume.flatMap { canResume(from: $0) ? $0 : nil }
        func seconds() -> Double { (resume?.seconds ?? 0) + Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e9 }
        var evaluations = resume?.evaluations ?? 0
        var lastWasFrame = resume.map { settings.frames.isFrame($0.iteration) } ?? false
        var previous: RGBImage?
        var outcome: Outcome?
        for scale in settings.scales.indices where scale >= (resume?.scale ?? 0) {
            if outcome != nil { betweenScales() }
            let inputs = inputs(atScale: scale)
            let transfer = StyleTransfer(network: network, settings: inputs.objective, content: inputs.content,
                                         styles: inputs.styles, styleGrams: inputs.grams, tileCore: memory.scales[scale].tileCore)
            let resumeHere = scale == resume?.scale ? resume : nil
            let start = resumeHere?.image ?? previous?.resized(width: inputs.content.width, height: inputs.content.height) ?? start(inputs)
            let position = RenderPosition(scale: scale, iteration: settings.firstIteration(ofScale: scale), evaluations: evaluations, seconds: seconds())
            let rendered = transfer.render(from: start, settings: settings.renderSettings(atScale: scale, objective: transfer.objective.settings),
                                           resume: resumeHere, position: position, wantsCheckpoint: wantsCheckpoint,
                                           isStopping: isStopping) { report in
                var report = report
                report.image = inputs.present(report.image)
                report.isFrame = settings.frames.isFrame(report.iteration, startsLaterScale: scale > 0 && report.iteration == position.iteration)
                (evaluations, lastWasFrame) = (report.evaluations, report.isFrame)
                return onIteration(report)
            }
            outcome = Outcome(image: inputs.present(rendered.image), stop: rendered.stop,
                              content: (inputs.content.width, inputs.content.height), styles: inputs.styles.map { ($0.image.width, $0.image.height) },
                              endsWithNewFrame: settings.frames.isOn && !lastWasFrame)
            previous = rendered.image
            if case .cancelled = rendered.stop { break }
            if case .nonFiniteLoss = rendered.stop { break }
        }
        return outcome!  // the scales are never empty, and a resumed one is among them
    }

    /// The start of the first scale rendered afresh.
    private func start(_ inputs: ScaleInputs) -> RGBImage {
        let (width, height) = (inputs.content.width, inputs.content.height)
        return switch settings.initial {
        case .noise: StyleTransfer.noise(width: width, height: height, seed: UInt64(settings.seed))
        case .content: inputs.content
        case .style: inputs.styles[0].image.resized(width: width, height: height)
        case .file: initial!.resized(width: width, height: height)
        }
    }
}

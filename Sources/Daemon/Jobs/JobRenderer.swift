import Engine
import Foundation

/// Where a render finds its model and Gram cache, and what it may read.
struct RenderEnvironment {
    var models: ModelStore
    var grams: GramCache
    var limits: ImageLimits
}

/// When a render takes checkpoints and where they go.
struct Checkpoints {
    /// Whether to take one after this iteration.
    var wanted: (Int) -> Bool
    /// Keeps one (durably); a failure stops the render with that error.
    var save: (SavedRender) throws -> Void
}

/// A render whose loss (or its gradient) overflowed floating point: the weights are too large.
struct NonFiniteLoss: Error, CustomStringConvertible {
    var iteration: Int
    var job: ResolvedJob

    var description: String {
        "the loss became non-finite at iteration \(iteration) with content_weight \(job.contentWeight), style_weight \(job.styleWeight), "
            + "tv_weight \(job.tvWeight) and histogram_weight \(job.histogramWeight); make the largest of them smaller"
    }
}

/// Renders one job folder into an output folder: the result, `log.jsonl`, the frames and
/// their animation, `loss.svg` and `report.json`.
struct JobRenderer {
    var environment: RenderEnvironment

    /// `onIteration` sees every iteration (for progress lines and status) and returns false to
    /// stop. Given `resume` (a checkpoint of this job into this `output`), the render goes on
    /// from it: the log and frames up to it are kept, those after it written again.
    func render(folder: JobFolder, job: ResolvedJob, into output: URL, overrides: [String]? = nil,
                resume: SavedRender? = nil, checkpoints: Checkpoints? = nil,
                onIteration: (IterationReport) -> Bool = { _ in true }) throws -> RenderReport {
        let began = Date()
        // The inputs are checked before the model is loaded, so that a bad job fails fast.
        let contentOriginal = try readImage(folder: folder, name: job.content, field: "content")
        let styleOriginals = try job.style.map { try readImage(folder: folder, name: $0.image, field: "style") }
        let weights = try environment.models.load(job.model)
        let network = VGG(weights: weights, pooling: job.pooling)
        let objective = job.objective
        for (field, layers) in [("content_layers", job.contentLayers), ("style_layers", job.styleLayers),
                                ("histogram_layers", objective.activeHistogramLayers)] {
            if let unknown = layers.first(where: { network.index(of: $0) == nil }) {
                throw ManifestError(file: folder.manifestPath, field: field,
                                    reason: "\(job.model) has no layer `\(unknown)`; its layers are \(network.layerNames.joined(separator: ", "))")
            }
        }
        // Every layer the objective evaluates, histogram layers too, must fit the smallest scale.
        let depth = ((job.contentLayers + job.styleLayers + objective.activeHistogramLayers).compactMap(network.index(of:)).max() ?? -1) + 1
        let smallest = contentOriginal.image.sizeForLongerSide(job.scales[0].size)
        guard min(smallest.width, smallest.height) >= network.minimumSide(forDepth: depth) else {
            throw ManifestError(file: folder.manifestPath, field: job.scales.count > 1 ? "scales" : "size",
                                reason: "at size \(job.scales[0].size) the content is \(smallest.width)×\(smallest.height), too small for \(network.layerNames[depth - 1]) (needs \(network.minimumSide(forDepth: depth)) px a side)")
        }
        // A checkpoint whose image is not the content's size at its scale (the content changed
        // under it) cannot be gone on from: the render starts over.
        let resume = resume.flatMap { saved -> SavedRender? in
            guard job.scales.indices.contains(saved.scale) else { return nil }
            let side = contentOriginal.image.sizeForLongerSide(job.scales[saved.scale].size)
            return saved.checkpoint.width == side.width && saved.checkpoint.height == side.height ? saved : nil
        }

        // The log and frames start over from the checkpoint (or from nothing): what an
        // interrupted render wrote after it is dropped.
        let frames = output.appendingPathComponent("frames")
        try createFolder(output)
        if job.frameEvery > 0 { try createFolder(frames) }
        var records = resume?.records ?? []
        var frameIterations = resume?.frames ?? []
        let kept = Set(frameIterations.map { framePath(frames, $0) })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: frames.path)) ?? [] {
            let path = frames.appendingPathComponent(name).path
            if !kept.contains(path) { unlink(path) }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            unlink(output.appendingPathComponent(name).path)  // an atomic write cut short
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let log = try OutputFile(path: output.appendingPathComponent("log.jsonl").path, truncate: true)
        try log.append(records.flatMap { try encoder.encode($0) + [0x0A] })

        // Scale by scale (one for a plain render), each from the last one's result enlarged.
        let clock = Date(), secondsBefore = records.last?.seconds ?? 0
        let fullSize = contentOriginal.image.sizeForLongerSide(job.size)
        var previous: RGBImage?
        var result: (image: RGBImage, stop: LBFGSB.Stop)?
        var inputs: ScaleInputs?
        for (index, step) in job.scales.enumerated() where index >= (resume?.scale ?? 0) {
            let resumeHere = index == resume?.scale ? resume?.checkpoint : nil
            let scale = try self.inputs(at: step.size, job: job, folder: folder, content: contentOriginal, styles: styleOriginals,
                                        network: network, depth: depth, modelDigest: weights.digest)
            inputs = scale
            let content = scale.content
            let pixelRatio = Double(content.width * content.height) / Double(fullSize.width * fullSize.height)
            let transfer = StyleTransfer(network: network, settings: CoarseToFine.settings(objective, pixelRatio: pixelRatio),
                                         content: content, styles: scale.styles, styleGrams: scale.grams)
            let start: RGBImage = try resumeHere?.image ?? previous?.resized(width: content.width, height: content.height) ?? {
                switch job.initial {
                case "noise": StyleTransfer.noise(width: content.width, height: content.height, seed: UInt64(job.seed))
                case "content": content
                case "style": scale.styles[0].image.resized(width: content.width, height: content.height)
                default: try readImage(folder: folder, name: job.initial, field: "init").image.resized(width: content.width, height: content.height)
                }
            }()
            let iterationsBefore = job.scales[..<index].reduce(0) { $0 + $1.iterations }
            let evaluationsBefore = records.last { $0.scale != step.size }?.evaluations ?? 0
            var settings = job.renderSettings
            settings.objective = transfer.objective.settings
            settings.iterations = step.iterations
            var writeError: Error?
            let rendered = transfer.render(from: start, settings: settings, resume: resumeHere,
                                           wantsCheckpoint: { checkpoints?.wanted(iterationsBefore + $0) ?? false }) { report in
                var report = report
                let firstOfLaterScale = index > 0 && report.iteration == 0
                report.iteration += iterationsBefore
                report.evaluations += evaluationsBefore
                report.seconds = secondsBefore + Date().timeIntervalSince(clock)
                let record = LogRecord(report, scale: step.size)
                records.append(record)
                do {
                    try log.append(encoder.encode(record) + [0x0A])
                    if job.frameEvery > 0 && report.iteration % job.frameEvery == 0 && !firstOfLaterScale {
                        try ImageFile.write(scale.present(report.image), to: framePath(frames, report.iteration), format: .png)
                        frameIterations.append(report.iteration)
                    }
                    if let checkpoint = report.checkpoint {
                        try checkpoints?.save(SavedRender(job: job, scale: index, checkpoint: checkpoint, records: records, frames: frameIterations))
                    }
                } catch {
                    writeError = error
                    return false
                }
                return onIteration(report)
            }
            if let writeError { throw writeError }
            if case .nonFiniteLoss(let iteration) = rendered.stop { throw NonFiniteLoss(iteration: iterationsBefore + iteration, job: job) }
            result = rendered
            previous = rendered.image
            if rendered.stop == .cancelled { break }
        }
        try log.close()
        guard let result, let inputs, let last = records.last else {
            throw FileError(path: output.path, reason: "the checkpoint is past the job's last scale")
        }
        let final = inputs.present(result.image)
        guard result.stop != .cancelled else {
            return report(job: job, overrides: overrides, weights: weights, content: contentOriginal.image, inputs: inputs,
                          stop: result.stop, wall: Date().timeIntervalSince(began), last: last, outputs: [])
        }
        if job.frameEvery > 0 && frameIterations.last != last.iteration {
            try ImageFile.write(final, to: framePath(frames, last.iteration), format: .png)
            frameIterations.append(last.iteration)
        }
        let resultName = "result.\(job.format.fileExtension)"
        try ImageFile.write(final, to: output.appendingPathComponent(resultName).path, format: job.format, quality: job.quality)
        var outputs = [resultName, "log.jsonl", "loss.svg", "report.json"]
        if job.frameEvery > 0 {
            try writeAnimation(frames: frameIterations.map { framePath(frames, $0) }, job: job, size: final,
                               to: output.appendingPathComponent("animation.gif").path)
            outputs += ["animation.gif", "frames/"]
        }
        var weighted = [
            LossPlot.Series(name: "total", colour: "#000000", values: records.map { ($0.iteration, $0.loss) }),
            LossPlot.Series(name: "content × c", colour: "#1f77b4", values: records.map { ($0.iteration, $0.content * job.contentWeight) }),
            LossPlot.Series(name: "style × s", colour: "#d62728", values: records.map { ($0.iteration, $0.style * job.styleWeight) }),
            LossPlot.Series(name: "tv × v", colour: "#2ca02c", values: records.map { ($0.iteration, $0.tv * job.tvWeight) }),
        ]
        if job.histogramWeight > 0 {
            weighted.append(LossPlot.Series(name: "histogram × h", colour: "#9467bd", values: records.map { ($0.iteration, $0.histogram * job.histogramWeight) }))
        }
        try writeFileAtomically(Array(LossPlot.svg(weighted, title: "\(folder.url.lastPathComponent): loss by iteration").utf8),
                  to: output.appendingPathComponent("loss.svg").path)
        let finished = report(job: job, overrides: overrides, weights: weights, content: contentOriginal.image, inputs: inputs,
                              stop: result.stop, wall: Date().timeIntervalSince(began), last: last, outputs: outputs)
        try writeReport(finished, to: output)
        return finished
    }

    private func report(job: ResolvedJob, overrides: [String]?, weights: VGGWeights, content: RGBImage, inputs: ScaleInputs,
                        stop: LBFGSB.Stop, wall: Double, last: LogRecord, outputs: [String]) -> RenderReport {
        RenderReport(
            styledVersion: Styled.version, parameters: job, profile: job.profile, overrides: overrides,
            model: .init(name: job.model, architecture: weights.architecture.rawValue, input: weights.input.rawValue,
                         sha256: weights.digest, source: weights.source),
            content: .init(file: job.content, originalWidth: content.width, originalHeight: content.height,
                           width: inputs.content.width, height: inputs.content.height, weight: nil),
            styles: inputs.pictures, iterations: last.iteration, evaluations: last.evaluations, stop: "\(stop)",
            wallSeconds: wall, secondsPerIteration: last.iteration > 0 ? last.seconds / Double(last.iteration) : 0,
            final: last, outputs: outputs)
    }

    func writeReport(_ report: RenderReport, to output: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try writeFileAtomically(Array(try encoder.encode(report)) + [0x0A], to: output.appendingPathComponent("report.json").path)
    }

    /// Reads an image named by a manifest field; returns it with the SHA-256 of its bytes.
    private func readImage(folder: JobFolder, name: String, field: String) throws -> (image: RGBImage, digest: String) {
        let path = try folder.file(name, field: field)
        do {
            let bytes = try readRegularFile(path, maxBytes: environment.limits.maxFileBytes, followLinks: false)
            return (try ImageFile.decode(bytes, name: path, limits: environment.limits), SHA256.hex(bytes))
        } catch let error as FileError {
            throw ManifestError(file: folder.manifestPath, field: field, reason: error.description)
        }
    }

    private func framePath(_ frames: URL, _ iteration: Int) -> String {
        frames.appendingPathComponent(String(format: "%04d.png", iteration)).path
    }

    private func writeAnimation(frames: [String], job: ResolvedJob, size: RGBImage, to path: String) throws {
        let side = min(job.animationSize, max(size.width, size.height))
        let dimensions = size.sizeForLongerSide(side)
        let animation = try AnimationWriter(path: path, width: dimensions.width, height: dimensions.height)
        for (index, frame) in frames.enumerated() {
            let isLast = index == frames.count - 1
            try animation.add(try ImageFile.read(frame, limits: environment.limits), delay: isLast ? max(200, job.frameDelay) : job.frameDelay)
        }
        try animation.close()
    }
}

/// Creates a folder (and its parents), as a FileError naming it.
func createFolder(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw FileError(path: url.path, reason: "cannot create folder: \(error.localizedDescription)")
    }
}

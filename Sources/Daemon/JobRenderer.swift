import Engine
import Foundation

/// One line of `log.jsonl`: the loss terms after an iteration (iteration 0 is the start).
struct LogRecord: Codable, Equatable {
    var iteration: Int
    var loss: Double
    var content: Double
    var style: Double
    var styleLayers: [String: Double]
    var tv: Double
    var evaluations: Int
    var seconds: Double

    enum CodingKeys: String, CodingKey {
        case iteration, loss, content, style, tv, evaluations, seconds
        case styleLayers = "style_layers"
    }

    init(_ report: IterationReport) {
        iteration = report.iteration
        loss = report.terms.total
        content = report.terms.content
        style = report.terms.style
        styleLayers = report.terms.styleLayers
        tv = report.terms.tv
        evaluations = report.evaluations
        seconds = report.seconds
    }
}

/// `report.json`: everything needed to know what was rendered and how.
struct RenderReport: Codable {
    struct Model: Codable { var name: String; var architecture: String; var input: String; var sha256: String; var source: String }
    struct Picture: Codable { var file: String; var originalWidth: Int; var originalHeight: Int; var width: Int; var height: Int; var weight: Double? }

    var styledVersion: String
    var parameters: ResolvedJob
    var profile: String?
    var overrides: [String]?
    var model: Model
    var content: Picture
    var styles: [Picture]
    var iterations: Int
    var evaluations: Int
    var stop: String
    var wallSeconds: Double
    var secondsPerIteration: Double
    var final: LogRecord
    var outputs: [String]
}

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
        let (contentOriginal, _) = try readImage(folder: folder, name: job.content, field: "content")
        let styleOriginals = try job.style.map { try readImage(folder: folder, name: $0.image, field: "style") }
        let weights = try environment.models.load(job.model)
        let network = VGG(weights: weights, pooling: job.pooling)
        for (field, layers) in [("content_layers", job.contentLayers), ("style_layers", job.styleLayers)] {
            if let unknown = layers.first(where: { network.index(of: $0) == nil }) {
                throw ManifestError(file: folder.manifestPath, field: field,
                                    reason: "\(job.model) has no layer `\(unknown)`; its layers are \(network.layerNames.joined(separator: ", "))")
            }
        }
        let content = contentOriginal.resized(longerSide: job.size)
        let depth = (job.contentLayers + job.styleLayers).compactMap(network.index(of:)).max()! + 1
        guard min(content.width, content.height) >= network.minimumSide(forDepth: depth) else {
            throw ManifestError(file: folder.manifestPath, field: "size",
                                reason: "at size \(job.size) the content is \(content.width)×\(content.height), too small for \(network.layerNames[depth - 1]) (needs \(network.minimumSide(forDepth: depth)) px a side)")
        }

        var styles: [(image: RGBImage, weight: Double)] = [], stylePictures: [RenderReport.Picture] = [], styleGrams: [[String: GramMatrix]] = []
        let styleSide = max(network.minimumSide(forDepth: depth), Int((job.styleScale * Double(job.size)).rounded()))
        for (style, (original, digest)) in zip(job.style, styleOriginals) {
            let image = original.resized(longerSide: styleSide)
            let key = environment.grams.key(imageDigest: digest, width: image.width, height: image.height,
                                            modelDigest: weights.digest, pooling: job.pooling, layers: job.styleLayers)
            let grams = environment.grams.load(key, layers: job.styleLayers) ?? {
                let computed = Targets.grams(of: image, network: network, layers: job.styleLayers)
                environment.grams.store(computed, key: key)
                return computed
            }()
            styles.append((image, style.weight))
            styleGrams.append(grams)
            stylePictures.append(.init(file: style.image, originalWidth: original.width, originalHeight: original.height,
                                       width: image.width, height: image.height, weight: style.weight))
        }
        let start: RGBImage = if let resume { resume.checkpoint.image } else {
            switch job.initial {
            case "noise": StyleTransfer.noise(width: content.width, height: content.height, seed: UInt64(job.seed))
            case "content": content
            case "style": styles[0].image.resized(width: content.width, height: content.height)
            default: try readImage(folder: folder, name: job.initial, field: "init").image.resized(width: content.width, height: content.height)
            }
        }
        let transfer = StyleTransfer(network: network, settings: job.objective, content: content, styles: styles, styleGrams: styleGrams)

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
        var writeError: Error?
        let (result, stop) = transfer.render(from: start, settings: job.renderSettings, resume: resume?.checkpoint,
                                             wantsCheckpoint: checkpoints?.wanted ?? { _ in false }) { report in
            let record = LogRecord(report)
            records.append(record)
            do {
                try log.append(encoder.encode(record) + [0x0A])
                if job.frameEvery > 0 && report.iteration % job.frameEvery == 0 {
                    try ImageFile.write(report.image, to: framePath(frames, report.iteration), format: .png)
                    frameIterations.append(report.iteration)
                }
                if let checkpoint = report.checkpoint {
                    try checkpoints?.save(SavedRender(job: job, checkpoint: checkpoint, records: records, frames: frameIterations))
                }
            } catch {
                writeError = error
                return false
            }
            return onIteration(report)
        }
        try log.close()
        if let writeError { throw writeError }
        let last = records.last!
        if job.frameEvery > 0 && frameIterations.last != last.iteration {
            try ImageFile.write(result, to: framePath(frames, last.iteration), format: .png)
            frameIterations.append(last.iteration)
        }
        let resultName = "result.\(job.format.fileExtension)"
        try ImageFile.write(result, to: output.appendingPathComponent(resultName).path, format: job.format, quality: job.quality)
        var outputs = [resultName, "log.jsonl", "loss.svg", "report.json"]
        if job.frameEvery > 0 {
            try writeAnimation(frames: frameIterations.map { framePath(frames, $0) }, job: job, size: result,
                               to: output.appendingPathComponent("animation.gif").path)
            outputs += ["animation.gif", "frames/"]
        }
        let weighted = [
            LossPlot.Series(name: "total", colour: "#000000", values: records.map { ($0.iteration, $0.loss) }),
            LossPlot.Series(name: "content × c", colour: "#1f77b4", values: records.map { ($0.iteration, $0.content * job.contentWeight) }),
            LossPlot.Series(name: "style × s", colour: "#d62728", values: records.map { ($0.iteration, $0.style * job.styleWeight) }),
            LossPlot.Series(name: "tv × v", colour: "#2ca02c", values: records.map { ($0.iteration, $0.tv * job.tvWeight) }),
        ]
        try writeFileAtomically(Array(LossPlot.svg(weighted, title: "\(folder.url.lastPathComponent): loss by iteration").utf8),
                  to: output.appendingPathComponent("loss.svg").path)
        let wall = Date().timeIntervalSince(began)
        let report = RenderReport(
            styledVersion: Styled.version, parameters: job, profile: job.profile, overrides: overrides,
            model: .init(name: job.model, architecture: weights.architecture.rawValue, input: weights.input.rawValue,
                         sha256: weights.digest, source: weights.source),
            content: .init(file: job.content, originalWidth: contentOriginal.width, originalHeight: contentOriginal.height,
                           width: content.width, height: content.height, weight: nil),
            styles: stylePictures, iterations: last.iteration, evaluations: last.evaluations, stop: "\(stop)",
            wallSeconds: wall, secondsPerIteration: last.iteration > 0 ? last.seconds / Double(last.iteration) : 0,
            final: last, outputs: outputs)
        try writeReport(report, to: output)
        return report
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
            let bytes = try readRegularFile(path, maxBytes: environment.limits.maxFileBytes)
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

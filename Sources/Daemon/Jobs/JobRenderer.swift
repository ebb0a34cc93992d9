import Engine
import Foundation

/// Where a render finds its model and Gram cache, and what it may read.
struct RenderEnvironment {
    var models: ModelStore
    var grams: GramCache
    var limits: ImageLimits
    /// The bytes a render may hold (MemoryBudget.swift).
    var memoryBudget: UInt64
}

/// When a render takes checkpoints and where they go.
struct Checkpoints {
    /// Whether to take one after this iteration.
    var wanted: (Int) -> Bool
    /// Keeps one (durably) and returns its size in bytes; a failure stops the render with that error.
    var save: (SavedRender) throws -> Int
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

/// Renders one job folder into an output folder: reads its inputs (the pictures, the model),
/// has Engine's `JobRender` render them in memory, and writes what it reports (`RenderOutputs`).
struct JobRenderer {
    var environment: RenderEnvironment

    /// `onIteration` sees every iteration (for progress lines and status) and returns false to
    /// stop. Given `resume` (a checkpoint of this job into this `output`), the render goes on
    /// from it: the log and frames up to it are kept, those after it written again. Once
    /// `isStopping` is true, a long evaluation (in tiles) is given up before its iteration ends.
    func render(folder: JobFolder, job: ResolvedJob, into output: URL, overrides: [String]? = nil,
                resume: SavedRender? = nil, checkpoints: Checkpoints? = nil, isStopping: () -> Bool = { false },
                onIteration: (IterationReport) -> Bool = { _ in true }) throws -> RenderReport {
        defer { Allocator.returnFreedMemory() }
        let began = Date()
        // The inputs are checked before the model is loaded, so that a bad job fails fast.
        let content = try readImage(folder: folder, name: job.content, field: "content")
        let originals = try job.style.map { try readImage(folder: folder, name: $0.image, field: "style") }
        let kept = try originals.enumerated().map { index, style in
            guard let box = job.styleTrim.box(for: style.image) else {
                throw ManifestError(file: folder.manifestPath, field: "style_trim",
                                    reason: "leaves less than \(BorderTrim.minimumSide) px a side of `\(job.style[index].image)` (\(style.image.width)×\(style.image.height))")
            }
            return box
        }
        // A trimmed style's Grams are those of what was kept: the cache tells them apart by the box.
        let styles = zip(originals, kept).map { style, box in
            (image: style.image.cropped(to: box), digest: "\(style.digest) \(box.x),\(box.y),\(box.width)x\(box.height)")
        }
        let initial = try job.initial.file.map { try readImage(folder: folder, name: $0, field: "init").image }
        let weights = try environment.models.load(job.model)
        let render: JobRender
        do {
            render = try JobRender(settings: job.settings, weights: weights, content: content.image,
                                   styles: zip(job.style, styles).map { StyleImage(name: $0.image, image: $1.image, weight: $0.weight) },
                                   initial: initial, maxPixels: environment.limits.maxPixels, memoryBudget: environment.memoryBudget,
                                   grams: environment.grams.source(for: job, styles: styles.map(\.digest), content: content.digest, model: weights.digest))
        } catch {
            throw ManifestError(file: folder.manifestPath, field: error.field, reason: error.reason)
        }
        // A checkpoint of another content (changed under it) cannot be gone on from: the render starts over.
        let resume = resume.flatMap { render.canResume(from: $0.checkpoint) ? $0 : nil }
        var outputs = try RenderOutputs(folder: output, job: job, limits: environment.limits, resume: resume)
        var writeError: Error?
        var checkpointBytes: Int?
        // A finished scale's memory goes back to the kernel: the plan counts one scale at a time.
        let outcome = render.run(resume: resume?.checkpoint, wantsCheckpoint: checkpoints?.wanted ?? { _ in false },
                                 isStopping: isStopping, betweenScales: Allocator.returnFreedMemory) { report in
            do {
                try outputs.add(report)
                if let checkpoint = report.checkpoint {
                    let bytes = try checkpoints?.save(SavedRender(job: job, checkpoint: checkpoint, records: outputs.records, frames: outputs.frames))
                    checkpointBytes = max(checkpointBytes ?? 0, bytes ?? 0)
                }
            } catch {
                writeError = error
                return false
            }
            return onIteration(report)
        }
        if let writeError { throw writeError }
        if case .nonFiniteLoss(let iteration) = outcome.stop { throw NonFiniteLoss(iteration: iteration, job: job) }
        try outputs.closeLog()
        guard let last = outputs.records.last else { throw FileError(path: output.path, reason: "the render reported no iteration") }
        func report(_ names: [String]) -> RenderReport {
            RenderReport(
                styledVersion: Styled.version, parameters: job, profile: job.profile, overrides: overrides,
                model: .init(name: job.model, architecture: weights.architecture.rawValue, input: weights.input.rawValue,
                             sha256: weights.digest, source: weights.source),
                content: .init(file: job.content, originalWidth: content.image.width, originalHeight: content.image.height,
                               width: outcome.content.width, height: outcome.content.height, weight: nil),
                styles: job.style.indices.map { i in
                    .init(file: job.style[i].image, originalWidth: originals[i].image.width, originalHeight: originals[i].image.height,
                          width: outcome.styles[i].width, height: outcome.styles[i].height, weight: job.style[i].weight, kept: kept[i])
                },
                iterations: last.iteration, evaluations: last.evaluations, stop: outcome.stop, wallSeconds: Date().timeIntervalSince(began),
                secondsPerIteration: last.iteration > 0 ? last.seconds / Double(last.iteration) : 0, final: last, outputs: names,
                memory: .init(budgetBytes: render.memory.budget, scales: render.memory.scales, peakResidentBytes: peakMemoryBytes(),
                              checkpointBytes: checkpointBytes))
        }
        guard outcome.stop != .cancelled else { return report([]) }
        let finished = report(try outputs.finish(outcome, title: "\(folder.url.lastPathComponent): loss by iteration"))
        try outputs.write(finished)
        return finished
    }

    /// Reads an image named by a manifest field, decoded in a sandbox; returns it with the
    /// SHA-256 of its bytes.
    private func readImage(folder: JobFolder, name: String, field: String) throws -> (image: RGBImage, digest: String) {
        let path = try folder.file(name, field: field)
        do {
            return try SandboxedDecoder(limits: environment.limits).decode(path)
        } catch let error as FileError {
            throw ManifestError(file: folder.manifestPath, field: field, reason: error.description)
        }
    }
}

/// Creates a folder (and its parents), as a FileError naming it.
func createFolder(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw FileError(path: url.path, reason: "cannot create folder: \(error.localizedDescription)")
    }
}

import Engine
import Foundation

/// A render's output folder as it fills: `log.jsonl` and `frames/` as the render reports its
/// iterations, then the result, the animation, `loss.svg` and `report.json`. Given the
/// checkpoint a render resumes from, the log and frames up to it are kept and those after it
/// (an interrupted render's) dropped, to be written again.
struct RenderOutputs {
    let folder: URL
    let job: ResolvedJob
    let limits: ImageLimits
    private(set) var records: [LogRecord]
    /// The iterations whose frames are in `frames/`, in order.
    private(set) var frames: [Int]
    private let log: OutputFile
    private let encoder = JSONEncoder()

    init(folder: URL, job: ResolvedJob, limits: ImageLimits, resume: SavedRender?) throws {
        (self.folder, self.job, self.limits) = (folder, job, limits)
        records = resume?.records ?? []
        frames = resume?.frames ?? []
        try createFolder(folder)
        if job.frames.isOn { try createFolder(folder.appendingPathComponent("frames")) }
        let kept = Set(frames.map(Self.frameName))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("frames").path)) ?? [] where !kept.contains(name) {
            unlink(folder.appendingPathComponent("frames").appendingPathComponent(name).path)
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            unlink(folder.appendingPathComponent(name).path)  // an atomic write cut short
        }
        encoder.outputFormatting = [.sortedKeys]
        log = try OutputFile(path: folder.appendingPathComponent("log.jsonl").path, truncate: true)
        try log.append(records.flatMap { try encoder.encode($0) + [0x0A] })
    }

    /// Logs an iteration, and keeps its image if it is a frame.
    mutating func add(_ report: IterationReport) throws {
        let record = LogRecord(report)
        records.append(record)
        try log.append(encoder.encode(record) + [0x0A])
        if report.isFrame { try addFrame(report.image, iteration: report.iteration) }
    }

    func closeLog() throws { try log.close() }

    /// Writes the result, the animation (ending on the result, added as a frame where the
    /// render asks) and `loss.svg`; returns the outputs' names, `report.json` among them.
    mutating func finish(_ outcome: JobRender.Outcome, title: String) throws -> [String] {
        if outcome.endsWithNewFrame, let last = records.last { try addFrame(outcome.image, iteration: last.iteration) }
        let resultName = "result.\(job.format.fileExtension)"
        try ImageFile.write(outcome.image, to: folder.appendingPathComponent(resultName).path, format: job.format, quality: job.quality)
        var outputs = [resultName, "log.jsonl", "loss.svg", "report.json"]
        if job.frames.isOn {
            try writeAnimation(size: outcome.image, to: folder.appendingPathComponent("animation.gif").path)
            outputs += ["animation.gif", "frames/"]
        }
        try writeFileAtomically(Array(LossPlot.svg(records, job: job, title: title).utf8), to: folder.appendingPathComponent("loss.svg").path)
        return outputs
    }

    func write(_ report: RenderReport) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try writeFileAtomically(Array(try encoder.encode(report)) + [0x0A], to: folder.appendingPathComponent("report.json").path)
    }

    private mutating func addFrame(_ image: RGBImage, iteration: Int) throws {
        try ImageFile.write(image, to: framePath(iteration), format: .png)
        frames.append(iteration)
    }

    private static func frameName(_ iteration: Int) -> String { String(format: "%04d.png", iteration) }

    private func framePath(_ iteration: Int) -> String {
        folder.appendingPathComponent("frames").appendingPathComponent(Self.frameName(iteration)).path
    }

    private func writeAnimation(size: RGBImage, to path: String) throws {
        let side = min(job.animationSize, max(size.width, size.height))
        let dimensions = size.sizeForLongerSide(side)
        let animation = try AnimationWriter(path: path, width: dimensions.width, height: dimensions.height)
        for (index, iteration) in frames.enumerated() {
            let isLast = index == frames.count - 1
            try animation.add(try ImageFile.read(framePath(iteration), limits: limits), delay: isLast ? max(200, job.frameDelay) : job.frameDelay)
        }
        try animation.close()
    }
}

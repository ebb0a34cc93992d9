import ArgumentParser
import Engine
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Render one job folder in the foreground.",
        discussion: """
        JOB_DIR holds job.toml beside its images. OUT_DIR receives result.png (or .jpg), log.jsonl, \
        frames/, animation.gif, loss.svg and report.json. Nothing in JOB_DIR is changed.
        """
    )

    @Argument(help: "The job folder (job.toml and its images).") var job: String
    @Option(help: "Where the outputs go (created if missing).") var out: String
    @OptionGroup var location: ModelCommand.Location
    @Option(help: "The largest image, in megapixels, that an input may declare.") var maxMegapixels = 50.0
    @Option(help: "Cores to use (default: all).") var threads: Int?

    func run() throws {
        if let threads { Parallel.setWorkers(threads) }
        let folder = JobFolder(url: URL(fileURLWithPath: job))
        let parameters = try JobParameters(table: try JobParameters.table(manifest: folder.manifestPath), file: folder.manifestPath)
        let resolved = try parameters.resolved(file: folder.manifestPath)
        let renderer = JobRenderer(environment: RenderEnvironment(
            models: location.store, grams: GramCache(directory: ModelStore.cacheRoot().appendingPathComponent("grams")),
            limits: ImageLimits(maxPixels: UInt64(maxMegapixels * 1e6))))
        let progress = ProgressLine(total: resolved.iterations)
        let report = try renderer.render(folder: folder, job: resolved, into: URL(fileURLWithPath: out)) { report in
            progress.show(report)
            return true
        }
        progress.finish()
        print(String(format: "%@: %d iterations in %.1f s, final loss %.6g → %@", job, report.iterations, report.wallSeconds,
                     report.final.loss, URL(fileURLWithPath: out).appendingPathComponent("result.\(resolved.format.fileExtension)").path))
    }
}

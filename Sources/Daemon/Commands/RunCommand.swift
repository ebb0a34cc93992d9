import ArgumentParser
import Engine
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Render one job folder in the foreground.",
        discussion: """
        JOB_DIR holds job.toml beside its images. OUT_DIR receives result.png (or .jpg), log.jsonl, \
        frames/, animation.gif, loss.svg and report.json. OUT_DIR must be a new or an empty folder \
        outside JOB_DIR: run creates it (and its parents), and refuses anything else, so that it never \
        overwrites or deletes a file it did not write. Nothing in JOB_DIR is changed.
        """
    )

    @Argument(help: "The job folder (job.toml and its images).") var job: String
    @Option(help: "Where the outputs go: a new or empty folder outside the job folder.") var out: String
    @OptionGroup var location: ModelCommand.Location
    @Option(help: "The largest image, in megapixels, that an input may declare.") var maxMegapixels = 50.0
    @Option(help: "Cores to use (default: all).") var threads: Int?
    @Option(help: "The memory the render may use, in GB; larger images are rendered in tiles (default: three quarters of this machine's).")
    var maxMemoryGb: Double?

    func run() throws {
        if let threads { Parallel.setWorkers(threads) }
        if let maxMemoryGb, !(maxMemoryGb > 0 && maxMemoryGb < 1e9) { throw ValidationError("--max-memory-gb must be a positive number of GB") }
        let folder = JobFolder(url: URL(fileURLWithPath: job))
        let parameters = try JobParameters(table: try JobParameters.table(manifest: folder.manifestPath), file: folder.manifestPath)
        let resolved = try parameters.resolved(file: folder.manifestPath)
        let output = URL(fileURLWithPath: out).standardizedFileURL
        let created = try Self.prepareOutput(output, job: folder.url)
        let renderer = JobRenderer(environment: RenderEnvironment(
            models: location.store, grams: GramCache(directory: ModelStore.cacheRoot().appendingPathComponent("grams")),
            limits: ImageLimits(maxPixels: UInt64(maxMegapixels * 1e6)),
            memoryBudget: MemoryBudget.bytes(configured: maxMemoryGb, rendersHere: 1, slurmMemory: nil)))
        let progress = ProgressLine(total: resolved.iterations)
        let report: RenderReport
        do {
            report = try renderer.render(folder: folder, job: resolved, into: output, onIteration: { report in
                progress.show(report)
                return true
            })
        } catch {
            if created { rmdir(output.path) }  // only if still empty: a job refused before writing leaves nothing behind
            throw error
        }
        progress.finish()
        print(String(format: "%@: %d iterations in %.1f s, final loss %.6g → %@", job, report.iterations, report.wallSeconds,
                     report.final.loss, output.appendingPathComponent("result.\(resolved.format.fileExtension)").path))
    }

    /// Makes `output` (with its parents) or accepts it as an empty folder, outside `job`; refuses
    /// anything else before touching it, since the renderer replaces what it finds in its
    /// output folder. Returns whether it made the folder.
    private static func prepareOutput(_ output: URL, job: URL) throws -> Bool {
        let jobPath = canonical(job.path), outputPath = canonical(output.path)
        guard outputPath != jobPath && !outputPath.hasPrefix(jobPath + "/") else {
            throw FileError(path: output.path, reason: "is inside the job folder \(job.path), which run leaves as it is; give an output folder outside it")
        }
        try createFolder(output.deletingLastPathComponent())
        if mkdir(output.path, 0o777) == 0 { return true }
        guard errno == EEXIST else { throw FileError.system(output.path, "cannot create the output folder") }
        var info = stat()
        guard stat(output.path, &info) == 0 else { throw FileError.system(output.path) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileError(path: output.path, reason: "exists and is not a folder; give a new or empty folder for the outputs", code: ENOTDIR)
        }
        guard let listing = opendir(output.path) else { throw FileError.system(output.path, "cannot read the output folder") }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name == "." || name == ".." else {
                throw FileError(path: output.path, reason: "already holds files (\(name) and maybe more), which run would overwrite or delete; give a new or empty folder",
                                code: ENOTEMPTY)
            }
        }
        return false
    }

    /// An absolute path with `.`, `..` and symbolic links resolved, also for a path whose last
    /// components do not exist yet (they are resolved against the deepest one that does).
    private static func canonical(_ path: String) -> String {
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var missing: [String] = []
        while true {
            if let resolved = realpath(existing.path, nil) {
                defer { free(resolved) }
                return missing.reduce(URL(fileURLWithPath: String(cString: resolved))) { $0.appendingPathComponent($1) }.path
            }
            missing.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()  // ends at "/", which always resolves
        }
    }
}

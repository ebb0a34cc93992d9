import Engine
import Foundation

/// Runs the built `styled` executable (it sits beside the test bundle) in a scratch folder
/// with a small random VGG16 in its model cache, so these tests need no real weights. A
/// smaller `widthDivisor` makes a wider, slower network, for renders long enough to interrupt.
final class Harness {
    let root: URL
    let environment: [String: String]

    static let executable: URL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("styled")
    static let testImages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Images")

    init(widthDivisor: Int = 16) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("styled-it-\(UUID().uuidString)")
        let models = root.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try Data(VGGWeights.random(.vgg16, seed: 7, widthDivisor: widthDivisor).safetensorsBytes())
            .write(to: models.appendingPathComponent("vgg16.safetensors"))
        var environment = ProcessInfo.processInfo.environment
        environment["STYLED_MODELS"] = models.path
        environment["XDG_CACHE_HOME"] = root.appendingPathComponent("cache").path
        self.environment = environment
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
                      error: String(decoding: errData, as: UTF8.self))
    }

    /// A job folder with a content and a style image (small real photographs) and `manifest`.
    func makeJob(_ name: String, manifest: String, content: String = "fruits.jpg", style: String = "starry_night.jpg") throws -> URL {
        let folder = url("jobs/\(name)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (source, target) in [(content, "content.jpg"), (style, "style.jpg")] {
            let image = try ImageFile.read(Self.testImages.appendingPathComponent(source).path).resized(longerSide: 96)
            try ImageFile.write(image, to: folder.appendingPathComponent(target).path, format: .jpeg)
        }
        try manifest.write(to: folder.appendingPathComponent("job.toml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Every file below a folder with its SHA-256, to show that nothing was changed.
    static func snapshot(_ folder: URL) -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            let relative = String(file.path.dropFirst(folder.path.count))
            var info = stat()
            lstat(file.path, &info)
            if (info.st_mode & S_IFMT) == S_IFLNK {
                result[relative] = "link → " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) ?? "?")
            } else if let bytes = try? readRegularFile(file.path, maxBytes: 1 << 30) {
                result[relative] = SHA256.hex(bytes)
            }
        }
        return result
    }

    static let tinyJob = """
        content = "content.jpg"
        style = [{ image = "style.jpg", weight = 1 }]
        size = 48
        iterations = 4
        frame_every = 2

        """
}

extension Harness {
    /// A daemon configuration in the scratch folder (paths relative to it), with two profiles.
    func writeConfig(rescanSeconds: Double = 60, limits: String = "") throws -> String {
        let config = """
            state = "state"
            jobs_at_once = 1
            threads_per_job = 1
            rescan_seconds = \(rescanSeconds)

            [[inbox]]
            path = "inbox"
            outbox = "outbox"

            [[profile]]
            name = "small"
            max_size = 400
            iterations = 2
            style_weight = 100
            frame_every = 1

            [[profile]]
            name = "large"
            max_size = 4096
            iterations = 1
            style_weight = 1000
            frame_every = 0

            [limits]
            \(limits)

            """
        try FileManager.default.createDirectory(at: url("inbox"), withIntermediateDirectories: true)
        try config.write(to: url("styled.toml"), atomically: true, encoding: .utf8)
        return url("styled.toml").path
    }

    /// Starts `styled daemon` in the background on `config` (the harness's styled.toml if nil),
    /// its log appended to `log` if given, with `extraEnvironment` over the harness's environment.
    func startDaemon(_ arguments: [String] = [], config: String? = nil, log: URL? = nil, extraEnvironment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["daemon", "--config", config ?? url("styled.toml").path] + arguments
        process.environment = environment.merging(extraEnvironment) { $1 }
        process.currentDirectoryURL = root
        if let log, !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = log.flatMap { try? FileHandle(forWritingTo: $0) }
        try handle?.seekToEnd()
        process.standardError = handle ?? FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    /// The job folders in the outbox (not the hidden partial ones).
    func outboxJobs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url("outbox").path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Waits until `condition` holds or `seconds` pass, looking `every` so often; returns whether it held.
    func wait(seconds: Double, every interval: Double = 0.1, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: interval)
        }
        return condition()
    }

    /// Kills a daemon the hard way (SIGKILL: no checkpoint, no cleanup) and waits for it.
    static func kill9(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A job's `log.jsonl`: the iteration and total loss of each line.
    static func logRecords(_ folder: URL) -> [(iteration: Int, loss: Double)] {
        let text = (try? String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let iteration = record["iteration"] as? Int, let loss = record["loss"] as? Double else { return nil }
            return (iteration, loss)
        }
    }

    /// Makes a job and moves it into the inbox; returns the snapshot of its files.
    @discardableResult
    func drop(_ name: String, manifest: String) throws -> [String: String] {
        let job = try makeJob(name, manifest: manifest)
        let snapshot = Self.snapshot(job)
        try FileManager.default.moveItem(at: job, to: url("inbox/\(name)"))
        return snapshot
    }
}

extension Harness {
    /// Runs styled and returns its exit status and its own peak resident memory.
    ///
    /// Not measured with posix_spawn + wait4 from this process: posix_spawn shares this
    /// process's memory until exec, and Linux then records *our* high-water mark (hundreds of
    /// MB while other tests run VGG in parallel) as the child's. A small Python process forks
    /// styled instead, so the child starts from Python's few MB, and reports wait4's ru_maxrss.
    func runMeasuringMemory(_ arguments: [String]) throws -> (status: Int32, peakBytes: Int) {
        let measure = """
            import os, sys
            pid = os.fork()
            if pid == 0:
                os.dup2(os.open("/dev/null", os.O_WRONLY), 2)
                os.execv(sys.argv[1], sys.argv[1:])
            _, status, usage = os.wait4(pid, 0)
            print(os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", measure, Self.executable.path] + arguments
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard fields.count == 2 else { throw FileError(path: Self.executable.path, reason: "cannot measure: \(text)") }
        return (Int32(fields[0]), fields[1])
    }
}

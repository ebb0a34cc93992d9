import Engine
import Foundation
import TOMLKit

/// The daemon's configuration (`etc/styled.toml`). Relative paths are taken from the folder
/// the daemon runs in.
struct Config {
    struct Inbox: Equatable {
        var path: URL
        var outbox: URL
    }

    /// A named set of job parameters for images up to `maxSize` pixels (longer side).
    struct Profile {
        var name: String
        var maxSize: Int
        var parameters: TOMLTable
    }

    var inboxes: [Inbox]
    var state: URL
    var models: URL
    var jobsAtOnce: Int
    var threadsPerJob: Int
    var rescanSeconds: Double
    var logLevel: String
    var limits: ImageLimits
    /// The bytes one render may hold (MemoryBudget.swift).
    var memoryBudget: UInt64
    var maxIterations: Int
    var maxSize: Int
    /// Below this much free space where outputs are written, no job is claimed.
    var minFreeBytes: Int
    var profiles: [Profile]
    /// A job whose renders were interrupted (a crash, a kill, a hang) this many times is failed.
    var maxAttempts: Int
    /// A running job is checkpointed at each frame and at least this often.
    var checkpointSeconds: Double
    /// The file this was read from, read again on SIGHUP.
    var file: String

    var metricsFile: URL
    /// `executor = "slurm"`: renders go to Slurm with these settings; nil renders here.
    var slurm: SlurmSettings?
    var processing: URL { state.appendingPathComponent("processing") }
    /// The Gram cache: where the renders run (with Slurm, in the work folder, which the nodes see).
    var grams: URL { (slurm?.work ?? state).appendingPathComponent("grams") }
    /// Renders at once: `jobs_at_once` here, or Slurm's `max_in_flight`.
    var rendersAtOnce: Int { slurm?.maxInFlight ?? jobsAtOnce }

    static func load(_ path: String) throws -> Config {
        let table: TOMLTable
        do {
            let bytes = try readRegularFile(path, maxBytes: 1 << 20)
            table = try TOMLTable(string: String(decoding: bytes, as: UTF8.self))
        } catch let error as FileError { throw ConfigError(file: path, field: nil, reason: error.reason) } catch {
            throw ConfigError(file: path, field: nil, reason: "not valid TOML: \(error)")
        }
        return try Config(table: table, file: path)
    }

    init(table: TOMLTable, file: String) throws {
        func fail(_ field: String, _ reason: String) -> ConfigError { ConfigError(file: file, field: field, reason: reason) }
        self.file = file
        let known: Set<String> = ["inbox", "state", "models", "metrics", "jobs_at_once", "threads_per_job", "rescan_seconds",
                                  "checkpoint_seconds", "log_level", "limits", "profile", "executor", "slurm"]
        if let unknown = table.keys.first(where: { !known.contains($0) }) { throw fail(unknown, "unknown key") }
        func url(_ text: String) -> URL { URL(fileURLWithPath: text) }
        guard let inboxTables = table["inbox"]?.array?.compactMap(\.table), !inboxTables.isEmpty else {
            throw fail("inbox", "needs at least one [[inbox]] with path and outbox")
        }
        inboxes = try inboxTables.map { inbox in
            guard let path = inbox["path"]?.string, let outbox = inbox["outbox"]?.string else { throw fail("inbox", "each needs path and outbox") }
            return Inbox(path: url(path), outbox: url(outbox))
        }
        state = url(table["state"]?.string ?? "state")
        metricsFile = table["metrics"]?.string.map(url) ?? state.appendingPathComponent("styled.prom")
        models = (table["models"]?.string).flatMap { $0.isEmpty ? nil : url($0) } ?? ModelStore.defaultDirectory()
        jobsAtOnce = table["jobs_at_once"]?.int ?? 1
        threadsPerJob = table["threads_per_job"]?.int ?? Parallel.workers
        rescanSeconds = table["rescan_seconds"].flatMap { $0.double ?? $0.int.map(Double.init) } ?? 60
        checkpointSeconds = table["checkpoint_seconds"].flatMap { $0.double ?? $0.int.map(Double.init) } ?? 300
        logLevel = table["log_level"]?.string ?? "info"
        guard jobsAtOnce >= 1, threadsPerJob >= 1, rescanSeconds > 0, checkpointSeconds > 0 else {
            throw fail("jobs_at_once", "counts and intervals must be positive")
        }
        switch table["executor"]?.string ?? "local" {
        case "local": slurm = nil
        case "slurm": slurm = try SlurmSettings(table: table["slurm"]?.table ?? TOMLTable(), file: file)
        default: throw fail("executor", "is \"local\" or \"slurm\"")
        }
        let limits = table["limits"]?.table ?? TOMLTable()
        func limit(_ key: String, _ fallback: Double) -> Double { limits[key].flatMap { $0.double ?? $0.int.map(Double.init) } ?? fallback }
        self.limits = ImageLimits(maxPixels: UInt64(limit("max_megapixels", 50) * 1e6), maxFileBytes: Int(limit("max_file_mb", 100) * 1_048_576))
        maxIterations = Int(limit("max_iterations", 10_000))
        maxSize = Int(limit("max_size", 8192))
        let configuredMemory = limits["max_memory_gb"].flatMap { $0.double ?? $0.int.map(Double.init) }
        if let configuredMemory, !(configuredMemory > 0 && configuredMemory < 1e9) { throw fail("max_memory_gb", "must be a positive number of GB") }
        memoryBudget = MemoryBudget.bytes(configured: configuredMemory, rendersHere: slurm == nil ? jobsAtOnce : 1, slurmMemory: slurm?.memory)
        minFreeBytes = Int(limit("min_free_mb", 1024) * 1_048_576)
        maxAttempts = max(1, Int(limit("max_attempts", 3)))
        profiles = try (table["profile"]?.array?.compactMap(\.table) ?? []).map { profile in
            guard let name = profile["name"]?.string, let maxSize = profile["max_size"]?.int else {
                throw fail("profile", "each [[profile]] needs name and max_size")
            }
            let parameters = TOMLTable()
            for key in profile.keys where key != "name" && key != "max_size" { parameters[key] = profile[key] }
            do { _ = try JobParameters(table: parameters, file: "\(file) [profile \(name)]") } catch let error as ManifestError {  // its keys must be job parameters
                throw ConfigError(file: error.file, field: error.field, reason: error.reason)
            }
            return Profile(name: name, maxSize: maxSize, parameters: parameters)
        }
    }

    /// The profile for a job: the one it names, else the first whose max_size covers its size.
    func profile(named name: String?, size: Int) -> Profile? {
        if let name { return profiles.first { $0.name == name } }
        return profiles.first { $0.maxSize >= size }
    }
}

/// A configuration file that cannot be used, with the field at fault and why. Not a job's
/// fault: the daemon refuses to start (or a reload is refused) rather than failing jobs.
struct ConfigError: FieldError, Equatable {
    var file: String
    var field: String?
    var reason: String
}

extension JobParameters {
    /// The job's own table over its profile's: the job's fields win. Returns the parameters,
    /// the profile's name and the keys the job overrode.
    static func merged(job: TOMLTable, file: String, config: Config) throws -> (JobParameters, profile: String?, overrides: [String]) {
        let own = try JobParameters(table: job, file: file)
        let size = own.size ?? JobSettings.Defaults.size
        guard let profile = config.profile(named: own.profile, size: size) else {
            if let name = own.profile { throw ManifestError(file: file, field: "profile", reason: "no profile named `\(name)` in the configuration") }
            return (own, nil, [])
        }
        let merged = TOMLTable()
        for key in profile.parameters.keys { merged[key] = profile.parameters[key] }
        for key in job.keys { merged[key] = job[key] }
        var parameters = try JobParameters(table: merged, file: file)
        parameters.profile = profile.name
        return (parameters, profile.name, job.keys.filter { profile.parameters.keys.contains($0) }.sorted())
    }
}

extension JobParameters {
    /// A job folder's manifest over its profile: the parameters, the profile's name and the keys the job overrode.
    static func read(_ folder: JobFolder, config: Config) throws -> (JobParameters, profile: String?, overrides: [String]) {
        try folder.checkManifest()
        let table = try JobParameters.table(manifest: folder.manifestPath, maxBytes: 1 << 20)
        return try merged(job: table, file: folder.manifestPath, config: config)
    }
}

extension Config {
    /// This server's limits on a job's size and length.
    func checkLimits(_ job: ResolvedJob, file: String) throws {
        guard job.iterations <= maxIterations else {
            throw ManifestError(file: file, field: "iterations", reason: "\(job.iterations) is more than this server's limit of \(maxIterations)")
        }
        guard job.size <= maxSize else {
            throw ManifestError(file: file, field: "size", reason: "\(job.size) is more than this server's limit of \(maxSize)")
        }
    }

    /// This state folder's id, made once: it marks what this daemon leaves in inboxes and
    /// outboxes that other daemons (with other state folders) may share.
    func owner() throws -> String {
        let file = state.appendingPathComponent("id").path
        if let bytes = try? readRegularFile(file, maxBytes: 64) {
            let id = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber }) { return id }
        }
        let id = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try writeFileAtomically(Array((id + "\n").utf8), to: file, durable: true)
        return id
    }
}

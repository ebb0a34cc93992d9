import Engine
import Foundation

/// `error.json`: what failed (`what`: a `FailureKind`), where, and why. Paths into the claimed
/// job's folder (gone once the job is filed) are given as the filed folder's `inputs/`.
enum ErrorRecord {
    static func fields(of error: Error, job name: String, folder job: URL) -> [String: String] {
        if let error = error as? WorkerFailure { return error.record }  // made so on the node
        func filed(_ text: String) -> String { text.replacingOccurrences(of: job.path + "/", with: "inputs/").replacingOccurrences(of: job.path, with: "inputs") }
        var record: [String: String] = ["job": name, "error": filed("\(error)"), "what": FailureKind(of: error).rawValue,
                                        "time": ISO8601DateFormatter().string(from: Date())]
        switch error {
        case let error as ManifestError:
            record["where"] = filed(error.field.map { "\(error.file): \($0)" } ?? error.file)
            record["why"] = filed(error.reason)
        case let error as FileError:
            record["where"] = filed(error.path)
            record["why"] = filed(error.reason)
        default:
            record["why"] = filed("\(error)")
        }
        return record
    }

    static func write(_ record: [String: String], to folder: URL) {
        if let data = try? JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]) {
            try? writeFileAtomically(Array(data) + [0x0A], to: folder.appendingPathComponent("error.json").path)
        }
    }
}

/// A job that failed on a Slurm node for a reason of its own: `record` is its error.json,
/// made there (see `styled work`).
struct WorkerFailure: Error, CustomStringConvertible {
    var record: [String: String]
    var description: String { record["error"] ?? "the render failed on its Slurm node" }
}

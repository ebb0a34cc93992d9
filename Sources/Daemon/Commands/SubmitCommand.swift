import ArgumentParser
import Engine
import Foundation

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Make a job folder from images and parameters and drop it into an inbox.",
        discussion: """
        The job is built in a hidden folder inside the inbox and renamed in whole, so a watcher never \
        sees half a job; a submit that fails leaves nothing behind. The job's name is a single folder \
        name that does not start with a dot (the daemon ignores hidden folders); if it is taken, -2, -3, … \
        is added.
        """
    )

    @Option(help: "The inbox to drop the job into (an existing folder).") var inbox: String
    @Option(help: "The content image.") var content: String
    @Option(help: "A style image, optionally with a blend weight > 0 (FILE or FILE:WEIGHT; a FILE with a colon needs the :WEIGHT); repeat for several.")
    var style: [String]
    @Option(help: "The job's name (default: the content file's name).") var name: String?
    @Option(help: "The longer side of the result, in pixels.") var size: Int?
    @Option(help: "L-BFGS-B iterations.") var iterations: Int?
    @Option(help: "Content weight c.") var contentWeight: Double?
    @Option(help: "Style weight s.") var styleWeight: Double?
    @Option(help: "Total-variation weight v.") var tvWeight: Double?
    @Option(help: "A profile of the daemon's configuration.") var profile: String?

    /// Room kept below the 255-byte limit of a file name for the `-N` that `moveUnique` may add.
    private static let maxNameBytes = 255 - "-10000".utf8.count

    func validate() throws {
        if let name {
            if let problem = Self.nameProblem(name) { throw ValidationError("--name \(name.debugDescription): \(problem)") }
        } else if let problem = Self.nameProblem(defaultName) {
            throw ValidationError("the job's name \(defaultName.debugDescription), taken from the content file's name, \(problem); choose one with --name")
        }
        _ = try styles()
        for (option, value) in [("--content-weight", contentWeight), ("--style-weight", styleWeight), ("--tv-weight", tvWeight)] {
            if let value, !(value.isFinite && value >= 0) { throw ValidationError("\(option) \(value): must be a finite number ≥ 0") }
        }
    }

    func run() throws {
        let inboxURL = URL(fileURLWithPath: inbox)
        try Self.checkFolder(inboxURL.path, role: "the inbox")
        // Read before anything is made: a missing or odd image fails with nothing to clean up.
        let contentName = "content-" + URL(fileURLWithPath: content).lastPathComponent
        var files = [(name: contentName, bytes: try Self.read(content, role: "the content image"))]
        var entries: [String] = []
        for (index, (path, weight)) in try styles().enumerated() {
            let styleName = "style\(index + 1)-" + URL(fileURLWithPath: path).lastPathComponent
            files.append((styleName, try Self.read(path, role: "the style image")))
            entries.append("{ image = \(quoted(styleName)), weight = \(weight) }")
        }
        var lines = ["content = \(quoted(contentName))", "style = [\(entries.joined(separator: ", "))]"]
        if let size { lines.append("size = \(size)") }
        if let iterations { lines.append("iterations = \(iterations)") }
        if let contentWeight { lines.append("content_weight = \(contentWeight)") }
        if let styleWeight { lines.append("style_weight = \(styleWeight)") }
        if let tvWeight { lines.append("tv_weight = \(tvWeight)") }
        if let profile { lines.append("profile = \(quoted(profile))") }
        files.append((JobFolder.manifestName, Array((lines.joined(separator: "\n") + "\n").utf8)))

        let staging = inboxURL.appendingPathComponent(".tmp-\(UUID().uuidString)")
        guard mkdir(staging.path, 0o777) == 0 else { throw FileError.system(staging.path, "cannot create a folder in the inbox") }
        // After the move nothing is left here; after a failure this removes the partial job.
        defer { try? FileManager.default.removeItem(at: staging) }
        for file in files { try writeFileAtomically(file.bytes, to: staging.appendingPathComponent(file.name).path) }
        print(try FileSystem.moveUnique(staging, into: inboxURL, name: name ?? defaultName).path)
    }

    private var defaultName: String { URL(fileURLWithPath: content).deletingPathExtension().lastPathComponent }

    /// Why `name` cannot be a job folder in the inbox, or nil if it can.
    private static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.contains("/") { return "must be a single folder name, without /" }
        if name.hasPrefix(".") { return "must not start with a dot (the daemon ignores hidden folders)" }
        if name.utf8.count > maxNameBytes { return "is \(name.utf8.count) bytes long; at most \(maxNameBytes) are allowed" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "must not hold control characters" }
        return nil
    }

    /// The `--style` entries as paths and weights; a weight must be a finite number > 0.
    private func styles() throws -> [(path: String, weight: Double)] {
        try style.map { entry in
            guard let colon = entry.lastIndex(of: ":") else { return (entry, 1) }
            guard let weight = Double(entry[entry.index(after: colon)...]), weight.isFinite, weight > 0 else {
                throw ValidationError("--style \(entry.debugDescription): the weight after the last : must be a finite number > 0")
            }
            return (String(entry[..<colon]), weight)
        }
    }

    /// Fails with a plain reason unless `path` is an existing folder.
    private static func checkFolder(_ path: String, role: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw errno == ENOENT ? FileError(path: path, reason: "\(role) does not exist", code: ENOENT) : FileError.system(path, "cannot use \(role)")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileError(path: path, reason: "\(role) is not a folder", code: ENOTDIR) }
    }

    /// The bytes of a regular file, or a FileError saying which input it was and what is wrong.
    private static func read(_ path: String, role: String) throws -> [UInt8] {
        do { return try readRegularFile(path, maxBytes: .max) } catch let error as FileError {
            let reason = error.code == ENOENT ? "does not exist" : error.code == nil ? "is \(error.reason)" : "cannot be read: \(error.reason)"
            throw FileError(path: path, reason: "\(role) \(reason)", code: error.code)
        }
    }

    /// A TOML basic string: quotes, backslashes and control characters (a newline in a file's name) escaped.
    private func quoted(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\"", "\\": "\\" + String(scalar)
            case _ where scalar.properties.generalCategory == .control: String(format: "\\u%04X", scalar.value)
            default: String(scalar)
            }
        }
        return "\"" + escaped.joined() + "\""
    }
}

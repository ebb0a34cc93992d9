import ArgumentParser
import Engine
import Foundation

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Make a job folder from images and parameters and drop it into an inbox.",
        discussion: "The job is built in a hidden folder inside the inbox and renamed in whole, so a watcher never sees half a job."
    )

    @Option(help: "The inbox to drop the job into.") var inbox: String
    @Option(help: "The content image.") var content: String
    @Option(help: "A style image, optionally with a blend weight (FILE or FILE:WEIGHT); repeat for several.") var style: [String]
    @Option(help: "The job's name (default: the content file's name).") var name: String?
    @Option(help: "The longer side of the result, in pixels.") var size: Int?
    @Option(help: "L-BFGS-B iterations.") var iterations: Int?
    @Option(help: "Content weight c.") var contentWeight: Double?
    @Option(help: "Style weight s.") var styleWeight: Double?
    @Option(help: "Total-variation weight v.") var tvWeight: Double?
    @Option(help: "A profile of the daemon's configuration.") var profile: String?

    func run() throws {
        let inboxURL = URL(fileURLWithPath: inbox)
        let staging = inboxURL.appendingPathComponent(".tmp-\(UUID().uuidString)")
        try createFolder(staging)
        var lines: [String] = []
        func copy(_ path: String, as target: String) throws {
            try FileManager.default.copyItem(at: URL(fileURLWithPath: path), to: staging.appendingPathComponent(target))
        }
        let contentName = "content-" + URL(fileURLWithPath: content).lastPathComponent
        try copy(content, as: contentName)
        lines.append("content = \(quoted(contentName))")
        var styles: [String] = []
        for (index, entry) in style.enumerated() {
            let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let path = parts[0], weight = parts.count > 1 ? Double(parts[1]) : 1
            guard let weight, weight > 0 else { throw ValidationError("--style \(entry): the weight must be a number > 0") }
            let styleName = "style\(index + 1)-" + URL(fileURLWithPath: path).lastPathComponent
            try copy(path, as: styleName)
            styles.append("{ image = \(quoted(styleName)), weight = \(weight) }")
        }
        lines.append("style = [\(styles.joined(separator: ", "))]")
        if let size { lines.append("size = \(size)") }
        if let iterations { lines.append("iterations = \(iterations)") }
        if let contentWeight { lines.append("content_weight = \(contentWeight)") }
        if let styleWeight { lines.append("style_weight = \(styleWeight)") }
        if let tvWeight { lines.append("tv_weight = \(tvWeight)") }
        if let profile { lines.append("profile = \(quoted(profile))") }
        try writeFileAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: staging.appendingPathComponent(JobFolder.manifestName).path)
        let jobName = name ?? URL(fileURLWithPath: content).deletingPathExtension().lastPathComponent
        let placed = try FileSystem.moveUnique(staging, into: inboxURL, name: jobName)
        print(placed.path)
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

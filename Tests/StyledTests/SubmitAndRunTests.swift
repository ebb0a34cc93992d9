import Engine
import Foundation
import Testing

/// `run` writes only into a folder it made (or found empty) outside the job; `submit` puts a
/// complete job into the inbox or, when refused, nothing anywhere, and says why in plain words.
@Suite(.serialized) struct SubmitAndRunTests {
    /// Every path below a folder, hidden ones and folders too, so that a leftover shows.
    static func tree(_ folder: URL) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    static func expectPlainError(_ text: String) {
        #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("Error Domain"), "stderr: \(text)")
    }

    // MARK: run

    @Test(arguments: ["a folder with files", "a file"])
    func runRefusesAnOutputThatHoldsSomething(kind: String) throws {
        let harness = try Harness()
        let job = try harness.makeJob("tiny", manifest: Harness.tinyJob)
        let out = harness.url("mine")
        if kind == "a file" {
            try Data("notes".utf8).write(to: out)
        } else {
            try FileManager.default.createDirectory(at: out.appendingPathComponent("frames"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: job.appendingPathComponent("style.jpg"), to: out.appendingPathComponent("frames/mine.png"))
            try Data("notes".utf8).write(to: out.appendingPathComponent("notes.txt"))
        }
        let before = Harness.snapshot(harness.root)
        let result = try harness.run(["run", job.path, "--out", out.path])
        #expect(result.status != 0)
        #expect(result.error.contains(out.path), "stderr: \(result.error)")
        Self.expectPlainError(result.error)
        #expect(Harness.snapshot(harness.root) == before)
    }

    /// The job folder itself, or a folder inside it: refused, so a style image kept in
    /// `frames/` (the name run gives its frames) stays where it is.
    @Test(arguments: ["", "results"])
    func runRefusesAnOutputInTheJobFolder(inside: String) throws {
        let harness = try Harness()
        let manifest = Harness.tinyJob.replacingOccurrences(of: "\"style.jpg\"", with: "\"frames/style.jpg\"")
        let job = try harness.makeJob("tiny", manifest: manifest)
        try FileManager.default.createDirectory(at: job.appendingPathComponent("frames"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: job.appendingPathComponent("style.jpg"), to: job.appendingPathComponent("frames/style.jpg"))
        let before = Harness.snapshot(job), paths = Self.tree(job)
        let out = inside.isEmpty ? job.path : job.appendingPathComponent(inside).path
        let result = try harness.run(["run", job.path, "--out", out])
        #expect(result.status != 0)
        #expect(result.error.contains("inside the job folder"), "stderr: \(result.error)")
        #expect(Harness.snapshot(job) == before && Self.tree(job) == paths)
    }

    @Test(arguments: ["empty", "missing/and/deeper"])
    func runWritesIntoAnEmptyOrNewFolder(out: String) throws {
        let harness = try Harness()
        let job = try harness.makeJob("tiny", manifest: Harness.tinyJob)
        if out == "empty" { try FileManager.default.createDirectory(at: harness.url(out), withIntermediateDirectories: true) }
        let result = try harness.run(["run", job.path, "--out", harness.url(out).path])
        #expect(result.status == 0, "\(result.error)")
        #expect(Self.tree(harness.url(out)) == ["animation.gif", "frames", "frames/0000.png", "frames/0002.png", "frames/0004.png",
                                               "log.jsonl", "loss.svg", "report.json", "result.png"])
    }

    /// A job refused after the output folder was made (its style image is missing) leaves no folder behind.
    @Test func aFailedRunRemovesTheFolderItMade() throws {
        let harness = try Harness()
        let job = try harness.makeJob("tiny", manifest: Harness.tinyJob)
        try FileManager.default.removeItem(at: job.appendingPathComponent("style.jpg"))
        let result = try harness.run(["run", job.path, "--out", harness.url("out").path])
        #expect(result.status != 0 && result.error.contains("style.jpg"), "stderr: \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: harness.url("out").path))
    }

    // MARK: submit

    /// The sources submitted: the images of a made job (the content also as a hidden file,
    /// whose name cannot be the job's), and an inbox holding an earlier job.
    struct Submission {
        let harness: Harness
        let content: URL, style: URL, inbox: URL, hiddenContent: URL

        init() throws {
            harness = try Harness()
            let job = try harness.makeJob("source", manifest: Harness.tinyJob)
            (content, style, inbox) = (job.appendingPathComponent("content.jpg"), job.appendingPathComponent("style.jpg"), harness.url("inbox"))
            hiddenContent = harness.url(".photo.jpg")
            try FileManager.default.copyItem(at: content, to: hiddenContent)
            try FileManager.default.createDirectory(at: inbox.appendingPathComponent("earlier"), withIntermediateDirectories: true)
            try Data("earlier".utf8).write(to: inbox.appendingPathComponent("earlier/job.toml"))
        }

        func submit(inbox: String? = nil, content: String? = nil, styles: [String]? = nil, _ extra: [String] = []) throws -> Harness.Result {
            try harness.run(["submit", "--inbox", inbox ?? self.inbox.path, "--content", content ?? self.content.path]
                            + (styles ?? [style.path]).flatMap { ["--style", $0] } + extra)
        }
    }

    /// Each refusal: a message naming what is wrong (no Foundation error text), and nothing
    /// made or left anywhere, in the inbox or outside it.
    @Test(arguments: [
        ("weight inf", "--style"), ("weight nan", "--style"), ("weight 0", "--style"), ("weight -1", "--style"),
        ("weight abc", "--style"), ("weight 1e999", "--style"),
        ("missing style", "the style image does not exist"), ("style is a folder", "the style image is not a regular file"),
        ("missing content", "the content image does not exist"),
        ("missing inbox", "the inbox does not exist"), ("inbox is a file", "the inbox is not a folder"),
        ("name ../x", "--name"), ("name a/b", "--name"), ("name .", "--name"), ("name ..", "--name"), ("name .hidden", "--name"),
        ("name ", "--name"), ("name long", "--name"), ("name new\nline", "--name"),
        ("hidden content name", "the content file's name"),
    ])
    func refusedSubmitsChangeNothing(kind: String, message: String) throws {
        let submission = try Submission()
        let harness = submission.harness
        let style = submission.style.path
        let before = Harness.snapshot(harness.root), paths = Self.tree(harness.root)
        let result: Harness.Result
        switch kind {
        case let weight where weight.hasPrefix("weight "): result = try submission.submit(styles: [style, style + ":" + weight.dropFirst(7)])
        case "missing style": result = try submission.submit(styles: [harness.url("nowhere.jpg").path])
        case "style is a folder": result = try submission.submit(styles: [harness.url("jobs").path])
        case "missing content": result = try submission.submit(content: harness.url("nowhere.jpg").path)
        case "missing inbox": result = try submission.submit(inbox: harness.url("nowhere").path)
        case "inbox is a file": result = try submission.submit(inbox: submission.content.path)
        case "name long": result = try submission.submit(["--name", String(repeating: "n", count: 250)])
        case let name where name.hasPrefix("name "): result = try submission.submit(["--name", String(name.dropFirst(5))])
        case "hidden content name": result = try submission.submit(content: submission.hiddenContent.path)
        default:
            Issue.record("no such case: \(kind)")
            return
        }
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr: \(result.error)")
        Self.expectPlainError(result.error)
        #expect(Self.tree(harness.root) == paths && Harness.snapshot(harness.root) == before)
    }

    /// A good submit: one visible folder in the inbox with the images as given and a manifest
    /// that `run` renders, even with a quote and a newline in a file's name; the same name
    /// again gets `-2`.
    @Test func aGoodSubmitMakesAJobThatRuns() throws {
        let submission = try Submission()
        let harness = submission.harness
        let oddStyle = harness.url("my \"starry\"\nnight.jpg")
        try FileManager.default.copyItem(at: submission.style, to: oddStyle)
        let arguments = ["--name", "sunset", "--size", "48", "--iterations", "2"]
        let result = try submission.submit(styles: [submission.style.path + ":2", oddStyle.path], arguments)
        #expect(result.status == 0, "\(result.error)")
        let job = submission.inbox.appendingPathComponent("sunset")
        #expect(result.output == job.path + "\n")
        #expect(Self.tree(submission.inbox) == ["earlier", "earlier/job.toml", "sunset", "sunset/content-content.jpg", "sunset/job.toml",
                                                "sunset/style1-style.jpg", "sunset/style2-my \"starry\"\nnight.jpg"])
        let copied = Harness.snapshot(job), sources = Harness.snapshot(harness.url("jobs/source"))
        #expect(copied["/content-content.jpg"] == sources["/content.jpg"] && copied["/style1-style.jpg"] == sources["/style.jpg"])
        let rendered = try harness.run(["run", job.path, "--out", harness.url("out").path])
        #expect(rendered.status == 0, "\(rendered.error)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("out/report.json"))) as? [String: Any]
        #expect((report?["styles"] as? [[String: Any]])?.map { $0["weight"] as? Double } == [2, 1])

        let again = try submission.submit(arguments)
        #expect(again.status == 0 && again.output == job.path + "-2\n", "\(again.error)")
    }
}

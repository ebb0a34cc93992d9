import Engine
import Foundation
import Testing

@Suite struct RunCommandTests {
    @Test func rendersAJobFolderWithEveryOutput() throws {
        let harness = try Harness()
        let job = try harness.makeJob("tiny", manifest: Harness.tinyJob)
        let before = Harness.snapshot(job)
        let result = try harness.run(["run", job.path, "--out", harness.url("out").path])
        #expect(result.status == 0, "\(result.error)")
        let out = harness.url("out")
        let image = try ImageFile.read(out.appendingPathComponent("result.png").path)
        #expect(max(image.width, image.height) == 48)

        let lines = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.map { $0["iteration"] as! Int } == [0, 1, 2, 3, 4])
        for key in ["loss", "content", "style", "style_layers", "tv", "evaluations", "seconds"] {
            #expect(records.allSatisfy { $0[key] != nil }, "log records lack \(key)")
        }
        #expect((records[0]["content"] as! Double) == 0)  // init = content: the content loss starts at 0
        #expect((records[4]["loss"] as! Double) < (records[0]["loss"] as! Double))

        let frames = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("frames").path).sorted()
        #expect(frames == ["0000.png", "0002.png", "0004.png"])
        let gif = try Data(contentsOf: out.appendingPathComponent("animation.gif"))
        #expect(gif.starts(with: Array("GIF89a".utf8)) && gif.last == 0x3B)
        let mode = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("animation.gif").path)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o044 == 0o044 } == true, "the animation is not readable by others: \(String(describing: mode))")
        #expect(try String(contentsOf: out.appendingPathComponent("loss.svg"), encoding: .utf8).contains(">iteration</text>"))

        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as! [String: Any]
        let parameters = report["parameters"] as! [String: Any]
        #expect(parameters["style_weight"] as? Double == 1e4 && parameters["size"] as? Int == 48 && parameters["init"] as? String == "content")
        #expect(report["iterations"] as? Int == 4 && (report["wall_seconds"] as? Double ?? 0) > 0)
        #expect((report["model"] as? [String: Any])?["sha256"] as? String != nil)
        #expect(report["styled_version"] as? String != nil)
        #expect(Harness.snapshot(job) == before)
    }

    @Test(arguments: [
        ("typo", "styel_weight = 5\n", "field `styel_weight`: unknown key (did you mean `style_weight`?)"),
        ("missing", "", "field `style`: `nothere.jpg` does not exist in the job folder"),
        ("escape", "", "field `content`: `../../etc/passwd` must be a file name inside the job folder (no `..`)"),
        ("truncated", "", "field `content`:"),
        ("symlink", "", "is a symbolic link"),
        ("broken", "size = [\n", "not valid TOML"),
        ("colours", "preserve_colors = \"chroma\"\n", "field `preserve_colors`: `chroma` is not one of the accepted values"),
        ("scales", "scales = 2\nscale_iterations = [1, 2, 3]\n", "field `scale_iterations`: has 3 counts for 1 scales (48 px)"),
        ("scale factor", "scales = 2\nscale_factor = 1\n", "field `scale_factor`: must be between 1.1 and 4"),
        ("histogram depth", "content_layers = [\"block1_conv1\"]\nstyle_layers = [\"block1_conv1\"]\nhistogram_layers = [\"block5_conv1\"]\nhistogram_weight = 1\n",
         "field `size`: at size 16 the content is 16×15, too small for block5_conv1"),
    ])
    func badJobsFailNamingTheProblemAndChangeNothing(kind: String, extra: String, message: String) throws {
        let harness = try Harness()
        var manifest = Harness.tinyJob + extra
        switch kind {
        case "missing": manifest = manifest.replacingOccurrences(of: "\"style.jpg\"", with: "\"nothere.jpg\"")
        case "escape": manifest = manifest.replacingOccurrences(of: "\"content.jpg\"", with: "\"../../etc/passwd\"")
        case "symlink": manifest = manifest.replacingOccurrences(of: "\"content.jpg\"", with: "\"link.jpg\"")
        case "histogram depth": manifest = manifest.replacingOccurrences(of: "size = 48", with: "size = 16")
        default: break
        }
        let job = try harness.makeJob(kind, manifest: manifest)
        if kind == "truncated" {
            let path = job.appendingPathComponent("content.jpg")
            let bytes = try Data(contentsOf: path)
            try bytes.prefix(bytes.count / 2).write(to: path)
        }
        if kind == "symlink" { try FileManager.default.createSymbolicLink(atPath: job.appendingPathComponent("link.jpg").path, withDestinationPath: "/etc/passwd") }
        let before = Harness.snapshot(job)
        let result = try harness.run(["run", job.path, "--out", harness.url("out").path])
        #expect(result.status != 0)
        #expect(result.error.contains(message), "stderr: \(result.error)")
        if kind == "truncated" { #expect(result.error.contains("content.jpg") && result.error.lowercased().contains("premature end")) }
        #expect(Harness.snapshot(job) == before)
        #expect(!FileManager.default.fileExists(atPath: harness.url("out/result.png").path))
    }

    /// A PNG whose header declares 100000×100000 pixels (40 GB as RGBA) is refused from its
    /// header: the process that reads it never grows past 200 MB.
    @Test func aHugeHeaderIsRefusedWithoutAllocatingIt() throws {
        let harness = try Harness()
        let job = try harness.makeJob("huge", manifest: Harness.tinyJob.replacingOccurrences(of: "\"content.jpg\"", with: "\"huge.png\""))
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EngineTests/Fixtures/huge-header.png")
        try FileManager.default.copyItem(at: fixture, to: job.appendingPathComponent("huge.png"))
        let (status, peak) = try harness.runMeasuringMemory(["run", job.path, "--out", harness.url("out").path])
        #expect(status != 0)
        #expect(peak > 0 && peak < 200 << 20, "peak \(peak / 1_048_576) MB")
        let result = try harness.run(["run", job.path, "--out", harness.url("out").path])
        #expect(result.error.contains("100000x100000") && result.error.contains("huge.png"))
    }

    /// Style Grams are cached by what determines them: a second job with the same style image,
    /// size and model reads them (its targets equal the first's) instead of adding an entry.
    @Test func aStyleUsedAgainComesFromTheGramCache() throws {
        let harness = try Harness()
        let first = try harness.makeJob("first", manifest: Harness.tinyJob)
        #expect(try harness.run(["run", first.path, "--out", harness.url("out1").path]).status == 0)
        let cache = harness.url("cache/styled/grams")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".safetensors") }
        #expect(entries.count == 1)
        // The same style, another content and style weight: the Grams are the same, so the cache is reused.
        let second = try harness.makeJob("second", manifest: Harness.tinyJob + "style_weight = 50\n", content: "dog.jpg")
        let before = try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent(entries[0]).path)[.modificationDate] as? Date
        #expect(try harness.run(["run", second.path, "--out", harness.url("out2").path]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".safetensors") } == entries)
        #expect(try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent(entries[0]).path)[.modificationDate] as? Date == before)
        // A different size is a different entry.
        let third = try harness.makeJob("third", manifest: Harness.tinyJob.replacingOccurrences(of: "size = 48", with: "size = 40"))
        #expect(try harness.run(["run", third.path, "--out", harness.url("out3").path]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".safetensors") }.count == 2)
    }

    /// The colour modes with the histogram loss on and two scales: the log spans both scales
    /// (their iterations counted on, the scale of each recorded), the frames and the result
    /// come at full size, and luminance-only transfer leaves the content's chroma in the
    /// result to within 8-bit rounding.
    @Test(arguments: ["luminance", "histogram"])
    func colourModesWithHistogramLossOverTwoScales(mode: String) throws {
        let harness = try Harness()
        let manifest = Harness.tinyJob.replacingOccurrences(of: "size = 48", with: "size = 128")
            + "preserve_colors = \"\(mode)\"\nhistogram_weight = 100\nscales = 2\nscale_iterations = [4, 3]\n"
        let job = try harness.makeJob("colour", manifest: manifest)
        let result = try harness.run(["run", job.path, "--out", harness.url("out").path])
        #expect(result.status == 0, "\(result.error)")
        let out = harness.url("out")
        let lines = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.map { $0["iteration"] as! Int } == [0, 1, 2, 3, 4, 4, 5, 6, 7])
        #expect(records.map { $0["scale"] as! Int } == [64, 64, 64, 64, 64, 128, 128, 128, 128])
        #expect(records.allSatisfy { ($0["histogram"] as! Double) > 0 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("frames").path).sorted()
                == ["0000.png", "0002.png", "0004.png", "0006.png", "0007.png"])
        let image = try ImageFile.read(out.appendingPathComponent("result.png").path)
        #expect(max(image.width, image.height) == 128)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as! [String: Any]
        let parameters = report["parameters"] as! [String: Any]
        #expect(parameters["preserve_colors"] as? String == mode)
        #expect((parameters["scales"] as? [[String: Int]])?.map { $0["size"]! } == [64, 128])
        guard mode == "luminance" else { return }
        let content = try ImageFile.read(job.appendingPathComponent("content.jpg").path).resized(longerSide: 128)
        let (ours, theirs) = (ColourTransfer.yiq(image).data, ColourTransfer.yiq(content).data)
        let plane = image.width * image.height
        var checked = 0
        for i in 0..<plane where (0..<3).allSatisfy({ image.pixels.data[$0 * plane + i] > 0 && image.pixels.data[$0 * plane + i] < 255 }) {
            checked += 1
            // Each channel rounded by at most ½ moves I by at most ½ (0.596 + 0.274 + 0.321), Q by ½ (0.211 + 0.523 + 0.311).
            #expect(abs(ours[plane + i] - theirs[plane + i]) <= 0.6 && abs(ours[2 * plane + i] - theirs[2 * plane + i]) <= 0.53, "pixel \(i)")
        }
        #expect(checked > plane / 2)
    }
}

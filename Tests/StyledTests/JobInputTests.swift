import Engine
import Foundation
import Testing

/// Job input that is legal but odd, manifests that are not what they seem, checkpoints that
/// are not checkpoints: none of it may take the daemon down (with two jobs at once, a crash
/// would fail the good job beside the bad one), and whatever is refused says why.
@Suite(.serialized) struct JobInputTests {
    static let base = """
        content = "content.jpg"
        style = "style.jpg"
        size = 64
        iterations = 3
        frame_every = 0

        """

    /// Two jobs at once; inputs up to 1 megapixel, so that an oversized style is cheap to ask for.
    static func writeConfig(_ harness: Harness, limits: String = "") throws {
        let config = """
            state = "state"
            jobs_at_once = 2
            threads_per_job = 1
            rescan_seconds = 60

            [[inbox]]
            path = "inbox"
            outbox = "outbox"

            [limits]
            max_megapixels = 1
            \(limits)

            """
        try FileManager.default.createDirectory(at: harness.url("inbox"), withIntermediateDirectories: true)
        try config.write(to: harness.url("styled.toml"), atomically: true, encoding: .utf8)
    }

    func drain(_ harness: Harness) throws {
        let result = try harness.run(["daemon", "--config", harness.url("styled.toml").path, "--drain"])
        #expect(result.status == 0, "\(result.error)")
    }

    /// A filed job's error.json, or nil if it has none.
    static func error(_ folder: URL) -> [String: String]? {
        (try? Data(contentsOf: folder.appendingPathComponent("error.json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: String] }
    }

    static func rendered(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("result.png").path) && error(folder) == nil
    }

    static let weights = ["content_weight", "style_weight", "tv_weight", "histogram_weight"]
    static let twoScales = base.replacingOccurrences(of: "size = 64", with: "size = 128") + "scales = 2\n"

    /// Each job is either rendered or refused with words that name its problem (in error.json's `error`: field and reason).
    static let corpus: [(name: String, manifest: String, refusal: [String]?)] = [
        ("iterations-0", base.replacingOccurrences(of: "iterations = 3", with: "iterations = 0"), nil),
        ("iterations-0-adam", base.replacingOccurrences(of: "iterations = 3", with: "iterations = 0") + "optimizer = \"adam\"\n", nil),
        ("scale-iterations-zeros", twoScales + "scale_iterations = [0, 0]\n", nil),
        ("scale-iterations-zero-first", twoScales + "scale_iterations = [0, 2]\n", nil),
        ("scales-more-than-fit", base + "scales = 8\n", nil),
        ("size-16-square", base.replacingOccurrences(of: "size = 64", with: "size = 16"), nil),
        ("style-scale-tiny", base + "style_scale = 1e-9\n", nil),
        ("frame-every-beyond", base.replacingOccurrences(of: "frame_every = 0", with: "frame_every = 1000") + "animation_size = 4096\n", nil),
        ("animation-16", base.replacingOccurrences(of: "frame_every = 0", with: "frame_every = 1") + "animation_size = 16\n", nil),
        ("seed-max", base + "init = \"noise\"\nseed = 2147483647\n", nil),
        ("history-1", base + "history = 1\n", nil),
        ("one-style-tiny-weight", base.replacingOccurrences(of: "style = \"style.jpg\"", with: "style = [{ image = \"style.jpg\", weight = 1e-300 }]"), nil),
        ("layer-weights-zero", base + "style_layer_weights = [0, 0, 0, 0, 0]\n", nil),
        ("tolerance-huge", base + "tolerance = 1e300\n", nil),
        ("adam-rate-0", base + "optimizer = \"adam\"\nlearning_rate = 0\n", nil),
        ("init-missing", base + "init = \"gone.png\"\n", ["init", "does not exist"]),
        ("init-manifest", base + "init = \"job.toml\"\n", ["init", "not a PNG or JPEG"]),
        ("scale-iterations-huge", twoScales + "scale_iterations = [9223372036854775807, 1]\n", ["scale_iterations"]),
        ("style-scale-huge", base + "style_scale = 1e300\n", ["style_scale"]),
        ("style-scale-over-limit", base + "style_scale = 20\n", ["style_scale", "pixels"]),
        ("style-weight-1e300", base + "style_weight = 1e300\n", ["non-finite at iteration 0"] + weights),
        ("content-weight-1e300", base + "content_weight = 1e300\n", ["non-finite at iteration 0"] + weights),
        ("tv-weight-1e300", base + "tv_weight = 1e300\n", ["non-finite at iteration 0"] + weights),
        ("histogram-weight-1e300", base + "histogram_weight = 1e300\n", ["non-finite at iteration 0"] + weights),
        ("float-overflow", base + "style_weight = 1e39\nhistogram_weight = 1\n", ["non-finite at iteration"] + weights),
    ]

    /// The corpus and a good job dropped together and rendered two at a time: the daemon
    /// drains them all and exits 0, each is rendered or refused as expected, the good job too.
    @Test func oddJobsNeitherCrashTheDaemonNorHarmTheJobBeside() throws {
        let harness = try Harness()
        try Self.writeConfig(harness)
        for (name, manifest, _) in Self.corpus + [("good", Self.base, nil)] {
            let job = try harness.makeJob(name, manifest: manifest)
            if name == "size-16-square" {
                // A square content fits the deepest default layer at 16 px; the landscape style must be made to.
                let content = job.appendingPathComponent("content.jpg").path
                try ImageFile.write(try ImageFile.read(content).resized(width: 96, height: 96), to: content, format: .jpeg)
            }
            try FileManager.default.moveItem(at: job, to: harness.url("inbox/\(name)"))
        }
        try drain(harness)
        #expect(harness.outboxJobs() == (Self.corpus.map(\.name) + ["good"]).sorted())
        #expect(Self.rendered(harness.url("outbox/good")))
        for (name, _, refusal) in Self.corpus {
            let folder = harness.url("outbox/\(name)")
            guard let refusal else {
                #expect(Self.rendered(folder), "\(name): \(Self.error(folder) ?? [:])")
                continue
            }
            let told = Self.error(folder)?["error"] ?? ""
            #expect(refusal.allSatisfy(told.contains), "\(name): \(told)")
            #expect(Self.error(folder)?["what"] != "crash", "\(name)")
        }
        let why = Self.error(harness.url("outbox/style-weight-1e300"))?["why"] ?? ""
        #expect(why.contains("non-finite at iteration 0") && why.contains("style_weight 1e+300"), "\(why)")
        // No iterations: the start, evaluated once and filed as it is.
        for name in ["iterations-0", "iterations-0-adam"] {
            let folder = harness.url("outbox/\(name)")
            #expect(Harness.logRecords(folder).map(\.iteration) == [0])
            let start = try ImageFile.read(folder.appendingPathComponent("inputs/content.jpg").path).resized(longerSide: 64)
            #expect(try ImageFile.read(folder.appendingPathComponent("result.png").path).rgb8() == start.rgb8())
        }
        #expect(Harness.logRecords(harness.url("outbox/scale-iterations-zeros")).map(\.iteration) == [0, 0])
        // A style smaller than the deepest style layer needs is enlarged to fit it (16 px a side).
        for name in ["size-16-square", "style-scale-tiny"] {
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("outbox/\(name)/report.json"))) as? [String: Any]
            let style = (report?["styles"] as? [[String: Any]])?.first
            #expect(min(style?["width"] as? Int ?? 0, style?["height"] as? Int ?? 0) >= 16, "\(name): \(style ?? [:])")
        }
        #expect(Harness.logRecords(harness.url("outbox/scale-iterations-zero-first")).map(\.iteration) == [0, 0, 1, 2])
    }

    /// A job.toml that is a symbolic link is refused without being read, wherever it points;
    /// one that is not a regular file is refused too.
    @Test func aManifestThatIsNotARegularFileIsRefusedUnread() throws {
        let harness = try Harness()
        try Self.writeConfig(harness)
        // Read as TOML, its key would come back in an "unknown key" error.
        let secret = "distinctive_line_7f3a = \"from a file outside the job folder\""
        let outside = harness.url("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try (secret + "\n").write(to: outside.appendingPathComponent("settings.toml"), atomically: true, encoding: .utf8)
        let cases: [(name: String, reason: String)] = [("link-to-manifest", "symbolic link"), ("link-to-system-file", "symbolic link"),
                                                       ("fifo", "not a regular file"), ("folder", "not a regular file")]
        for (name, _) in cases {
            let job = try harness.makeJob(name, manifest: Self.base)
            let manifest = job.appendingPathComponent("job.toml")
            switch name {
            case "link-to-manifest":
                // A valid manifest outside the job folder, naming the job's own images.
                try FileManager.default.moveItem(at: manifest, to: outside.appendingPathComponent("job.toml"))
                try FileManager.default.createSymbolicLink(at: manifest, withDestinationURL: outside.appendingPathComponent("job.toml"))
            case "link-to-system-file":
                try FileManager.default.removeItem(at: manifest)
                try FileManager.default.createSymbolicLink(at: manifest, withDestinationURL: outside.appendingPathComponent("settings.toml"))
            case "fifo":
                try FileManager.default.removeItem(at: manifest)
                #expect(mkfifo(manifest.path, 0o644) == 0)
            default:
                try FileManager.default.removeItem(at: manifest)
                try FileManager.default.createDirectory(at: manifest, withIntermediateDirectories: false)
            }
            try FileManager.default.moveItem(at: job, to: harness.url("inbox/\(name)"))
        }
        try drain(harness)
        #expect(harness.outboxJobs() == cases.map(\.name).sorted())
        for (name, reason) in cases {
            let folder = harness.url("outbox/\(name)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("result.png").path), "\(name)")
            #expect(Self.error(folder)?["why"]?.contains(reason) == true, "\(name): \(Self.error(folder) ?? [:])")
            let told = ["error.json", "job.log"].map { (try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) ?? "" }.joined()
            #expect(!told.contains("distinctive_line"), "\(name) echoes the link's target: \(told)")
        }
    }

    /// A render that cannot fit the memory budget even in tiles is refused before it starts,
    /// with its figures; the job beside it renders.
    @Test func aRenderBeyondTheMemoryBudgetIsRefusedBeforeItStarts() throws {
        let harness = try Harness()
        try Self.writeConfig(harness, limits: "max_memory_gb = 0.4")
        for (name, manifest) in [("too-large", Self.base.replacingOccurrences(of: "size = 64", with: "size = 1024")), ("fits", Self.base)] {
            try FileManager.default.moveItem(at: try harness.makeJob(name, manifest: manifest), to: harness.url("inbox/\(name)"))
        }
        try drain(harness)
        #expect(Self.rendered(harness.url("outbox/fits")))
        let refusal = Self.error(harness.url("outbox/too-large"))?["error"] ?? ""
        for words in ["size", "even in the smallest tiles", "the optimiser lbfgs alone", "memory budget of 0.4 GB", "top_optimizer"] {
            #expect(refusal.contains(words), "\(refusal)")
        }
        #expect(!FileManager.default.fileExists(atPath: harness.url("outbox/too-large/log.jsonl").path), "it started rendering")
    }

    /// Checkpoints that are empty, garbage, or well-formed but not of this render: each is set
    /// aside and the job rendered from the start.
    @Test func aCheckpointThatDoesNotFitIsSetAsideAndTheJobRenderedAfresh() throws {
        let harness = try Harness()
        try Self.writeConfig(harness)
        // A genuine job's resolved parameters and first log record, to build checkpoints from.
        let reference = try harness.makeJob("reference", manifest: Self.base)
        #expect(try harness.run(["run", reference.path, "--out", harness.url("reference-out").path]).status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url("reference-out/report.json"))) as! [String: Any]
        let firstLine = try String(contentsOf: harness.url("reference-out/log.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        let record = try JSONSerialization.jsonObject(with: Data(firstLine.utf8))
        let side = (report["content"] as! [String: Any]).mapValues { $0 as? Int }
        let (width, height) = (side["width"]!!, side["height"]!!)
        func checkpoint(width: Int, height: Int, x: [Double], scale: Int = 0, iteration: Int = 1, records: [Any]) throws -> [UInt8] {
            let header: [String: Any] = ["job": report["parameters"]!, "scale": scale, "records": records, "frames": [Int](),
                                         "width": width, "height": height, "seconds": 0, "optimizer": "lbfgs",
                                         "iteration": iteration, "evaluations": iteration, "texts": [String: String]()]
            let json = String(decoding: try JSONSerialization.data(withJSONObject: header), as: UTF8.self)
            return SafetensorsFile.serialize([SafetensorsFile.Stored("real.x", shape: [x.count], values: x)], metadata: ["styled_checkpoint": json])
        }
        let pixels = [Double](repeating: 128, count: 3 * width * height)
        let cases: [(name: String, bytes: [UInt8])] = [
            ("empty", []),
            ("garbage", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }),
            ("image-of-another-shape", try checkpoint(width: width, height: height, x: Array(pixels.dropLast(3)), records: [record])),
            ("image-of-another-size", try checkpoint(width: height, height: width, x: pixels, records: [record])),
            ("no-image", try checkpoint(width: -1, height: height, x: [], records: [record])),
            ("not-pixels", try checkpoint(width: width, height: height, x: pixels.map { _ in .nan }, records: [record])),
            ("scale-past-the-end", try checkpoint(width: width, height: height, x: pixels, scale: 5, records: [record])),
            ("no-records-at-the-end", try checkpoint(width: width, height: height, x: pixels, iteration: 3, records: [])),
        ]
        let processing = harness.url("state/processing")
        try FileManager.default.createDirectory(at: processing, withIntermediateDirectories: true)
        for (name, bytes) in cases {
            let job = try harness.makeJob(name, manifest: Self.base)
            try FileManager.default.moveItem(at: job, to: processing.appendingPathComponent(name))
            try #"{"inbox": "\#(harness.url("inbox").path)", "crashes": 0}"#
                .write(to: processing.appendingPathComponent(".\(name).claim"), atomically: true, encoding: .utf8)
            try Data(bytes).write(to: processing.appendingPathComponent(".\(name).checkpoint"))
        }
        try drain(harness)
        #expect(harness.outboxJobs() == cases.map(\.name).sorted())
        for (name, _) in cases {
            let folder = harness.url("outbox/\(name)")
            #expect(Self.rendered(folder), "\(name): \(Self.error(folder) ?? [:])")
            #expect(Harness.logRecords(folder).map(\.iteration) == [0, 1, 2, 3], "\(name)")
        }
    }
}

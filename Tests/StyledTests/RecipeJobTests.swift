@testable import Daemon
import Engine
import Foundation
import Testing
import TOMLKit

/// The recipe's job fields: how they resolve, and what a job's report says of them.
@Suite struct RecipeJobTests {
    static func resolved(_ toml: String) throws -> ResolvedJob {
        try JobParameters(table: try TOMLTable(string: "content = \"c.jpg\"\nstyle = \"s.jpg\"\n" + toml), file: "job.toml").resolved(file: "job.toml")
    }

    /// recipe = "gatys" is the paper's objective; each of the recipe's choices can still be set
    /// on its own, over the recipe.
    @Test func theGatysRecipeResolvesToThePapersChoicesAndFieldsOverrideIt() throws {
        let gatys = try Self.resolved("recipe = \"gatys\"")
        #expect(gatys.padding == .zero && gatys.pooling == .max && gatys.gramNormalisation == .none && gatys.styleLoss == .gram)
        #expect(gatys.styleTrim == StyleTrim.none && gatys.averageDecay == 0 && gatys.styleLayerWeights == Array(repeating: 0.2, count: 5))
        let mixed = try Self.resolved("recipe = \"gatys\"\npadding = \"reflect\"\nstyle_trim = [1, 2, 3, 4]\nstyle_loss = \"wasserstein\"")
        #expect(mixed.padding == .reflect && mixed.styleTrim == .pixels(top: 1, right: 2, bottom: 3, left: 4) && mixed.styleLoss == .wasserstein)
        let clean = try Self.resolved("")
        #expect(clean.recipe == .clean && clean.styleTrim == .auto && clean.padding != .zero)
        for (toml, field) in [("style_trim = \"some\"", "style_trim"), ("style_trim = [1, 2]", "style_trim"), ("average_decay = 1", "average_decay"),
                              ("recipe = \"fancy\"", "recipe"), ("style_loss = \"l1\"", "style_loss")] {
            #expect(throws: ManifestError.self, "\(toml)") { try Self.resolved(toml) }
            do { _ = try Self.resolved(toml) } catch let error as ManifestError { #expect(error.field == field) }
        }
    }

    /// Weights that hold at `weights_size` are scaled by the pixel count at other sizes, and the
    /// report records the scale; without it they are taken as given.
    @Test func weightsScaleWithThePixelCountFromTheirReferenceSize() throws {
        let half = try Self.resolved("size = 192\nweights_size = 384\nstyle_weight = 1e4\nhistogram_weight = 8\ncontent_weight = 2")
        #expect(half.styleWeight == 2500 && half.histogramWeight == 2 && half.contentWeight == 2 && half.weightsScale == 0.25)
        let double = try Self.resolved("size = 768\nweights_size = 384\nstyle_weight = 1e4")
        #expect(double.styleWeight == 4e4 && double.weightsScale == 4)
        let given = try Self.resolved("size = 768\nstyle_weight = 1e4")
        #expect(given.styleWeight == 1e4 && given.weightsScale == 1 && given.weightsSize == 0)
    }

    /// A style with a black frame loses it before rendering, and report.json records the box
    /// kept; given counts are cut exactly; counts that leave too little fail the job, naming the field.
    @Test func aFramedStyleIsTrimmedAndTheReportRecordsTheBoxKept() throws {
        let harness = try Harness()
        let job = try harness.makeJob("framed", manifest: Harness.tinyJob)
        // A picture with no border of its own (The Starry Night's scan has one, which would go too).
        let painting = try ImageFile.read(Harness.testImages.appendingPathComponent("chelsea.jpg").path).resized(longerSide: 96)
        var framed = RGBImage(width: painting.width + 14, height: painting.height + 9, fill: 0)
        for c in 0..<3 { for y in 0..<painting.height { for x in 0..<painting.width { framed.pixels[c, y + 4, x + 6] = painting.pixels[c, y, x] } } }
        try ImageFile.write(framed, to: job.appendingPathComponent("style.png").path, format: .png)
        func kept(_ extra: String, _ out: String) throws -> (status: Int32, box: [String: Int]?, error: String) {
            try (Harness.tinyJob.replacingOccurrences(of: "style.jpg", with: "style.png") + extra)
                .write(to: job.appendingPathComponent("job.toml"), atomically: true, encoding: .utf8)
            let result = try harness.run(["run", job.path, "--out", harness.url(out).path])
            guard result.status == 0 else { return (result.status, nil, result.error) }
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: harness.url(out).appendingPathComponent("report.json"))) as! [String: Any]
            return (0, (report["styles"] as! [[String: Any]])[0]["kept"] as? [String: Int], result.error)
        }
        let auto = try kept("", "auto")
        #expect(auto.status == 0, "\(auto.error)")
        let box = try #require(auto.box)
        // The frame is 6 px left, 4 top, 8 right and 5 bottom (PNG: no JPEG ringing), found to the pixel.
        #expect(box == ["x": 6, "y": 4, "width": painting.width, "height": painting.height])
        #expect(try kept("style_trim = \"none\"\n", "none").box == ["x": 0, "y": 0, "width": framed.width, "height": framed.height])
        #expect(try kept("style_trim = [4, 8, 5, 6]\n", "given").box == ["x": 6, "y": 4, "width": painting.width, "height": painting.height])
        let nothing = try kept("style_trim = 200\n", "nothing")
        #expect(nothing.status != 0 && nothing.error.contains("style_trim") && nothing.error.contains("leaves less than"), "\(nothing.error)")
    }
}

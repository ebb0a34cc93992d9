import Engine
import Foundation
import Testing

/// A style image's border is found and cut: frames of every colour and width, scan borders
/// with their ramps and canvas strips, tilted borders, and the real Starry Night's.
@Suite struct BorderTrimTests {
    // MARK: Synthetic frames around real pictures

    static let frameColours: [(String, SIMD3<Float>)] = [
        ("black", [0, 0, 0]), ("white", [255, 255, 255]), ("red", [180, 30, 40]),
        ("grey", [128, 128, 128]), ("dark blue", [20, 40, 110]),
    ]
    static let frameSides: [FrameWidths] = [
        (1, 1, 1, 1), (2, 2, 2, 2), (5, 5, 5, 5), (12, 12, 12, 12), (25, 25, 25, 25), (40, 40, 40, 40),
        (3, 0, 17, 40), (0, 9, 0, 0), (6, 0, 6, 0), (0, 30, 1, 8),
    ]

    @Test(arguments: ["starry", "fruits", "graf1", "chelsea"])
    func uniformFramesAreFoundToAPixel(interior name: String) throws {
        let picture = try interior(name)
        for (colourName, colour) in Self.frameColours {
            for sides in Self.frameSides {
                let image = framed(picture, sides, colour: colour)
                let box = BorderTrim.detect(image), found = close(box, sides, width: image.width, height: image.height)
                #expect(found, "\(name) in a \(colourName) frame \(sides): \(box)")
            }
        }
    }

    /// A scan border like starry_night's: a dark frame, then lines that blend linearly from the
    /// frame's colour into the painting (line i of a ramp of r lines is i+1 parts in r+1 painting).
    /// Its true width is where the ramp ends: the first line that is all painting, frame + ramp.
    @Test(arguments: ["starry", "graf1", "chelsea"])
    func scanBordersAreTrimmedToTheEndOfTheirRamp(interior name: String) throws {
        let picture = try interior(name)
        var cases: [(FrameWidths, Int)] = [(3, 4), (5, 6), (4, 5), (2, 5), (6, 6)].map { width, ramp in ((width, width, width, width), ramp) }
        for ramp in 4...6 {
            cases += [((4, 0, 7, 2), ramp), ((0, 3, 0, 6), ramp), ((6, 6, 0, 0), ramp)]
        }
        for colour: SIMD3<Float> in [[0, 0, 0], [30, 20, 10]] {
            for (sides, ramp) in cases {
                let image = framed(picture, sides, colour: colour, ramp: ramp)
                let box = BorderTrim.detect(image)
                let truth = (top: sides.top == 0 ? 0 : sides.top + ramp, right: sides.right == 0 ? 0 : sides.right + ramp,
                             bottom: sides.bottom == 0 ? 0 : sides.bottom + ramp, left: sides.left == 0 ? 0 : sides.left + ramp)
                let found = close(box, truth, width: image.width, height: image.height)
                #expect(found, "\(name), frame \(sides) of \(colour) with a \(ramp)-line ramp: \(box)")
            }
        }
    }

    /// A scanner's dark lid, then a strip of bare cream canvas before the paint: not flat (its
    /// weave and grime vary by ±12 levels) and nothing like the border's colour, but the strip
    /// goes with the border, to within a pixel.
    @Test(arguments: ["starry", "graf1", "chelsea"])
    func aCanvasStripAfterAScanBorderGoesWithIt(interior name: String) throws {
        let picture = try interior(name)
        var generator = SeededGenerator(seed: 90)
        for (lid, strip) in [(5, 4), (3, 6), (6, 2)] {
            var canvas = framed(picture, (strip, strip, strip, strip), colour: [222, 208, 180])
            for y in 0..<canvas.height {
                for x in 0..<canvas.width where min(y, x, canvas.height - 1 - y, canvas.width - 1 - x) < strip {
                    let grain = Float.random(in: -12...12, using: &generator)
                    for c in 0..<3 { canvas.pixels[c, y, x] += grain }
                }
            }
            let image = framed(canvas, (lid, lid, lid, lid), colour: [0, 0, 0])
            let width = lid + strip
            #expect(close(BorderTrim.detect(image), (width, width, width, width), width: image.width, height: image.height),
                    "\(name): a \(lid) px lid and a \(strip) px strip: \(BorderTrim.detect(image))")
        }
    }

    /// The same, crooked, as along the bottom of the examples' 512 px copy of The Starry Night:
    /// the lid's inner edge wanders between 4 and 7 px along each side, and a 3 px grainy canvas
    /// strip follows it, so the strip's first lines cross lid, canvas and paint and are rougher
    /// than the paint. It still goes: the cut takes at least every line that holds no paint (7 px)
    /// and at most one line past the strip's widest reach (10 px).
    @Test(arguments: ["starry", "graf1", "chelsea"])
    func aCrookedCanvasStripGoesWithItsBorder(interior name: String) throws {
        var image = try interior(name)
        var generator = SeededGenerator(seed: 91)
        let lid = { (along: Int) in 4 + Int((1.5 * (1 + sin(Double(along) / 7))).rounded()) }
        for y in 0..<image.height {
            for x in 0..<image.width {
                let sides = [(y, x), (image.height - 1 - y, x), (x, y), (image.width - 1 - x, y)]  // (depth, position along)
                let grain = Float.random(in: -12...12, using: &generator)
                if sides.contains(where: { $0.0 < lid($0.1) }) {
                    for c in 0..<3 { image.pixels[c, y, x] = 0 }
                } else if sides.contains(where: { $0.0 < lid($0.1) + 3 }) {
                    for (c, value) in [Float(222), 208, 180].enumerated() { image.pixels[c, y, x] = value + grain }
                }
            }
        }
        let box = BorderTrim.detect(image)
        let cut = [box.y, image.width - box.x - box.width, image.height - box.y - box.height, box.x]
        #expect(cut.allSatisfy { (7...11).contains($0) }, "\(name): cut \(cut) (top, right, bottom, left)")
    }

    /// A crooked scan: a dark border 4 px wide on each side, except that the painting sits askew
    /// at the top, where the border widens steadily from 4 px at the left to `widest` at the right.
    /// All of it goes: the box must drop every line the border reaches into.
    @Test(arguments: ["starry", "graf1", "chelsea"])
    func aTiltedBorderIsRemovedEntirely(interior name: String) throws {
        for widest in [7, 12, 20] {
            var image = framed(try interior(name), (4, 4, 4, 4), colour: [0, 0, 0])
            for x in 0..<image.width {
                let depth = 4 + (widest - 4) * x / (image.width - 1)
                for y in 0..<depth { for c in 0..<3 { image.pixels[c, y, x] = 0 } }
            }
            let box = BorderTrim.detect(image), found = close(box, (widest, 4, 4, 4), width: image.width, height: image.height)
            #expect(found, "\(name), top border 4 → \(widest) px: \(box)")
        }
    }

    // MARK: The real scan border

    /// starry_night at 376 px (half size). Hand-measured border: on each side, the outer lines
    /// whose mean luma (0.299 R + 0.587 G + 0.114 B) is under 30, then the strip of bare cream
    /// canvas before the paint: the last of the first 16 lines whose mean luma is over 130 (the
    /// painting's lines next to it are at 50-120). The detected box must drop both and keep
    /// all but at most 4 more lines on each side (the strip is tilted).
    @Test func starryNightsScanBorderIsRemoved() throws {
        let image = try ImageFile.read(TestPaths.image("starry_night_376.jpg"))
        let sides = [(true, false), (false, true), (true, true), (false, false)]  // top, right, bottom, left
        let dark = sides.map { lineLumas(image, rows: $0.0, reversed: $0.1).prefix { $0 < 30 }.count }
        #expect(dark == [4, 5, 5, 4], "the dark lines themselves (top, right, bottom, left)")
        let border = sides.enumerated().map { side, s in
            (lineLumas(image, rows: s.0, reversed: s.1).prefix(16).lastIndex { $0 > 130 }).map { $0 + 1 } ?? dark[side]
        }
        #expect(border == [7, 9, 5, 9], "the measurement itself (top, right, bottom, left)")
        let box = BorderTrim.detect(image)
        let cut = [box.y, image.width - box.x - box.width, image.height - box.y - box.height, box.x]
        for (side, (detected, border)) in zip(["top", "right", "bottom", "left"], zip(cut, border)) {
            #expect(detected >= border && detected <= border + 4, "\(side): trimmed \(detected), border and canvas strip \(border)")
        }
    }
}

import Engine
import Foundation
import Testing

/// A frame's widths, in the order top, right, bottom, left (as CSS gives margins).
typealias FrameWidths = (top: Int, right: Int, bottom: Int, left: Int)

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

    // MARK: Pictures without a border are left whole

    @Test(arguments: ["fruits.jpg", "dog.jpg", "graf1.jpg", "chelsea.jpg", "brick.jpg", "home.jpg", "home_wall.jpg"])
    func framelessPicturesAreKeptWhole(file: String) throws {
        let image = try ImageFile.read(TestPaths.image(file))
        #expect(BorderTrim.detect(image) == whole(image))
    }

    @Test func starryNightWithoutItsBorderIsKeptWhole() throws {
        let image = try interior("starry")
        #expect(BorderTrim.detect(image) == whole(image))
    }

    /// A dark but textured sky: the top third, fifth or eighth of a photograph (home.jpg's blue
    /// sky, with birds, a cloud and a tower top) or of the painting (starry_night's swirls) at
    /// 10-15 % brightness, with a hard edge. Its rows are flat by their spread against the rest,
    /// but not as flat as a scan border, and a third of the height is more than a border's width.
    @Test(arguments: ["home", "starry"])
    func aDarkSkyIsNotABorder(picture name: String) throws {
        let picture = name == "home" ? try ImageFile.read(TestPaths.image("home.jpg")) : try interior("starry")
        for part in [3, 5, 8] {
            for factor: Float in [0.10, 0.12, 0.15] {
                let image = darkened(picture, rows: picture.height / part, to: factor, fading: false)
                #expect(BorderTrim.detect(image) == whole(image), "\(name), top 1/\(part) at \(factor)")
            }
        }
    }

    /// Skies that darken towards the top edge, brightness rising linearly from 10 or 15 % at the
    /// edge to full over the top part: a night sky over city lights, a vignette. The flatness of
    /// home.jpg's and home_sky.jpg's top rows fades out instead of ending sharply; home_sky.jpg's
    /// rows are flat but their colour keeps drifting (no one-coloured frame); the lines past
    /// brick.jpg's darkest rows are still of their colour.
    @Test(arguments: [("home.jpg", 8), ("home_sky.jpg", 3), ("home_sky.jpg", 5), ("brick.jpg", 5)])
    func aSkyDarkeningTowardsTheEdgeIsNotABorder(file: String, part: Int) throws {
        let picture = try ImageFile.read(TestPaths.image(file))
        for factor: Float in [0.10, 0.15] {
            let image = darkened(picture, rows: picture.height / part, to: factor, fading: true)
            #expect(BorderTrim.detect(image) == whole(image), "\(file), top 1/\(part) from \(factor)")
        }
    }

    // home_wall.jpg is a plain, sunlit yellow wall around an ornamented window (cut from home.jpg
    // at full size); framelessPicturesAreKeptWhole covers it: its right 25 columns are bare wall,
    // but vary by 3.5-5 levels of 255 along their length (light, stains), more than a border.

    /// Flat strips that end sharply but are the picture's own colour, cut at full size from the
    /// originals: home_sky.jpg's top 31 rows are clear blue sky, flat to 1-1.5 levels, down to the
    /// first bird; brick_face.jpg's right 6 columns run down one brick face, as flat, then meet a
    /// mortar line.
    @Test(arguments: ["home_sky.jpg", "brick_face.jpg"])
    func aFlatStripOfThePicturesOwnColourIsNotABorder(file: String) throws {
        let image = try ImageFile.read(TestPaths.image(file))
        #expect(BorderTrim.detect(image) == whole(image))
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

    // MARK: Any input

    @Test func tinyConstantAndOddImagesNeverLoseTheirPicture() {
        var images = [1, 2, 3, 15, 16, 17, 40].flatMap { size in
            [RGBImage(width: size, height: size), RGBImage(width: size, height: size, fill: 255), randomImage(width: size, height: size, seed: UInt64(size))]
        }
        images += [RGBImage(width: 1, height: 300, fill: 9), RGBImage(width: 300, height: 200, fill: 30), randomImage(width: 200, height: 150, seed: 7)]
        var nan = randomImage(width: 64, height: 64, seed: 8)
        for i in stride(from: 0, to: nan.pixels.count, by: 7) { nan.pixels.data[i] = i % 2 == 0 ? .nan : .infinity }
        images.append(nan)
        for image in images {
            #expect(BorderTrim.detect(image) == whole(image), "\(image.width)×\(image.height)")
        }
        // Frames of every width around pictures of every small size: always a box inside the image.
        var generator = SeededGenerator(seed: 9)
        for _ in 0..<300 {
            let picture = randomImage(width: Int.random(in: 1...40, using: &generator), height: Int.random(in: 1...40, using: &generator), seed: generator.next())
            let sides = (Int.random(in: 0...20, using: &generator), Int.random(in: 0...20, using: &generator),
                         Int.random(in: 0...20, using: &generator), Int.random(in: 0...20, using: &generator))
            let image = framed(picture, sides, colour: [0, 0, 0], ramp: Int.random(in: 0...4, using: &generator))
            let box = BorderTrim.detect(image)
            #expect(box.x >= 0 && box.y >= 0 && box.width > 0 && box.height > 0
                && box.x + box.width <= image.width && box.y + box.height <= image.height, "\(box) in \(image.width)×\(image.height)")
        }
    }

    @Test func fixedTrimsCheckTheirCounts() {
        let image = RGBImage(width: 200, height: 100)
        #expect(BorderTrim.fixed(top: 3, right: 0, bottom: 17, left: 40, of: image) == PixelBox(x: 40, y: 3, width: 160, height: 80))
        #expect(BorderTrim.fixed(top: 0, right: 0, bottom: 0, left: 0, of: image) == whole(image))
        #expect(BorderTrim.fixed(top: 42, right: 92, bottom: 42, left: 92, of: image) == PixelBox(x: 92, y: 42, width: 16, height: 16))
        #expect(BorderTrim.fixed(top: 43, right: 0, bottom: 42, left: 0, of: image) == nil)
        #expect(BorderTrim.fixed(top: 0, right: 93, bottom: 0, left: 92, of: image) == nil)
        #expect(BorderTrim.fixed(top: -1, right: 0, bottom: 0, left: 0, of: image) == nil)
        #expect(BorderTrim.fixed(top: 0, right: .max, bottom: 0, left: .max, of: image) == nil)
        let tiny = RGBImage(width: 5, height: 5)
        #expect(BorderTrim.fixed(top: 0, right: 0, bottom: 0, left: 0, of: tiny) == whole(tiny))
        #expect(BorderTrim.fixed(top: 1, right: 0, bottom: 0, left: 0, of: tiny) == nil)
    }

    @Test func croppingCopiesTheBoxAndClipsItToTheImage() {
        let image = randomImage(width: 30, height: 20, seed: 4)
        let part = image.cropped(to: PixelBox(x: 5, y: 3, width: 10, height: 7))
        #expect(part.width == 10 && part.height == 7)
        #expect((0..<3).allSatisfy { c in (0..<7).allSatisfy { y in (0..<10).allSatisfy { x in part.pixels[c, y, x] == image.pixels[c, y + 3, x + 5] } } })
        #expect(image.cropped(to: whole(image)) == image)
        let clipped = image.cropped(to: PixelBox(x: 25, y: -4, width: 100, height: 10))
        #expect(clipped.width == 5 && clipped.height == 6 && clipped.pixels[1, 0, 0] == image.pixels[1, 0, 25])
        #expect(image.cropped(to: PixelBox(x: 40, y: 0, width: 5, height: 5)).pixels.count == 0)
        #expect(image.cropped(to: PixelBox(x: .max, y: .min, width: .max, height: .max)).pixels.count == 0)
    }
}

// MARK: Helpers

/// Pictures without a border to put frames around. The starry_night copy loses its outer 16 px
/// (its scan border and canvas edge are under 8 at this size); fruits loses its bottom 10 rows,
/// a shadow whose lines darken and lose texture towards the edge over ~9 px (luma 108 → 52),
/// which beside a dark frame reads exactly as a scan ramp would, so no true width exists there.
private func interior(_ name: String) throws -> RGBImage {
    switch name {
    case "starry":
        let image = try ImageFile.read(TestPaths.image("starry_night_376.jpg"))
        return image.cropped(to: PixelBox(x: 16, y: 16, width: image.width - 32, height: image.height - 32))
    case "fruits":
        let image = try ImageFile.read(TestPaths.image("fruits.jpg"))
        return image.cropped(to: PixelBox(x: 0, y: 0, width: image.width, height: image.height - 10))
    default:
        return try ImageFile.read(TestPaths.image(name + ".jpg"))
    }
}

/// `picture` inside a frame of `colour`, `sides` pixels wide; with a ramp, the picture's outer
/// `ramp` lines on each framed side blend from the frame's colour into it.
private func framed(_ picture: RGBImage, _ sides: FrameWidths, colour: SIMD3<Float>, ramp: Int = 0) -> RGBImage {
    let width = picture.width + sides.left + sides.right, height = picture.height + sides.top + sides.bottom
    var image = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let px = x - sides.left, py = y - sides.top
            let inside = px >= 0 && px < picture.width && py >= 0 && py < picture.height
            var alpha: Float = inside ? 1 : 0
            if inside && ramp > 0 {
                for (present, distance) in [(sides.top > 0, py), (sides.bottom > 0, picture.height - 1 - py),
                                            (sides.left > 0, px), (sides.right > 0, picture.width - 1 - px)] where present {
                    alpha = min(alpha, Float(distance + 1) / Float(ramp + 1))
                }
            }
            for c in 0..<3 {
                let paint = inside ? picture.pixels[c, py, px] : 0
                image.pixels[c, y, x] = alpha * paint + (1 - alpha) * colour[c]
            }
        }
    }
    return image
}

/// The top `rows` rows of `image` at `factor` of their brightness, or (fading) at a factor that
/// rises linearly from `factor` on the top row to 1 on the last of them.
private func darkened(_ image: RGBImage, rows: Int, to factor: Float, fading: Bool) -> RGBImage {
    var out = image
    for y in 0..<rows {
        let scale = fading && rows > 1 ? factor + (1 - factor) * Float(y) / Float(rows - 1) : factor
        for c in 0..<3 { for x in 0..<image.width { out.pixels[c, y, x] *= scale } }
    }
    return out
}

private func whole(_ image: RGBImage) -> PixelBox { PixelBox(x: 0, y: 0, width: image.width, height: image.height) }

/// Whether `box`, in an image of that size, cuts each side within 1 px of `truth`.
private func close(_ box: PixelBox, _ truth: FrameWidths, width: Int, height: Int) -> Bool {
    abs(box.y - truth.top) <= 1 && abs(box.x - truth.left) <= 1
        && abs(width - box.x - box.width - truth.right) <= 1 && abs(height - box.y - box.height - truth.bottom) <= 1
}

/// The mean luma of each line from one edge inwards (rows from the top, or from the bottom when
/// reversed; columns from the left, or the right).
private func lineLumas(_ image: RGBImage, rows: Bool, reversed: Bool) -> [Float] {
    let count = rows ? image.height : image.width, length = rows ? image.width : image.height
    return (0..<count).map { step in
        let line = reversed ? count - 1 - step : step
        var sum: Float = 0
        for i in 0..<length {
            let (y, x) = rows ? (line, i) : (i, line)
            sum += 0.299 * image.pixels[0, y, x] + 0.587 * image.pixels[1, y, x] + 0.114 * image.pixels[2, y, x]
        }
        return sum / Float(length)
    }
}

import Engine
import Foundation
import Testing

/// What is not a border stays: frameless pictures, dark skies and plain walls, tiny and odd
/// images; fixed trims and the crop itself.
@Suite struct BorderTrimKeepsPictureTests {
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

import Engine
import Foundation
import Testing

@Suite struct ImageFileTests {
    @Test func pngRoundTripIsPixelExact() throws {
        let folder = try TemporaryFolder()
        let image = randomImage(width: 37, height: 23, seed: 1)
        try ImageFile.write(image, to: folder.path("a.png"), format: .png)
        #expect(try ImageFile.read(folder.path("a.png")) == image)
    }

    @Test func jpegRoundTripAtQuality95IsClose() throws {
        let folder = try TemporaryFolder()
        let photo = try ImageFile.read(TestPaths.image("fruits.jpg"))
        let exact = RGBImage(rgb8: photo.rgb8(), width: photo.width, height: photo.height)
        try ImageFile.write(exact, to: folder.path("a.jpg"), format: .jpeg, quality: 95)
        let again = try ImageFile.read(folder.path("a.jpg"))
        #expect(again.width == exact.width && again.height == exact.height)
        #expect(psnr(again, exact) > 40)
    }

    @Test(arguments: [
        ("gray8.png", [[0, 0, 0], [128, 128, 128], [255, 255, 255], [10, 10, 10], [20, 20, 20], [30, 30, 30]]),
        ("grayalpha8.png", [[255, 255, 255], [100, 100, 100], [200, 200, 200], [50, 50, 50], [60, 60, 60], [70, 70, 70]]),
        ("palette.png", [[255, 0, 0], [0, 255, 0], [255, 255, 255], [255, 255, 255], [0, 255, 0], [255, 0, 0]]),
        ("rgb16.png", [[0, 255, 127.502], [0, 255, 127.502], [0, 255, 127.502], [255, 0, 0], [255, 0, 0], [255, 0, 0]]),
        ("rgba8.png", [[1, 2, 3], [40, 50, 60], [70, 80, 90], [1, 2, 3], [40, 50, 60], [70, 80, 90]]),
    ] as [(String, [[Float]])])
    func readsEveryPNGColourType(file: String, expected: [[Float]]) throws {
        let image = try ImageFile.read(TestPaths.fixture(file))
        #expect(image.width == 3 && image.height == 2)
        for (i, rgb) in expected.enumerated() {
            let actual = (0..<3).map { image.pixels[$0, i / 3, i % 3] }
            #expect(zip(actual, rgb).allSatisfy { abs($0 - $1) < 0.01 }, "pixel \(i): \(actual) != \(rgb)")
        }
    }

    @Test func readsGreyscaleAndProgressiveJPEG() throws {
        // Fixtures made once with cjpeg (scripts/make-jpeg-fixtures.py): a progressive and a
        // one-component greyscale JPEG of the same 16×16 picture.
        let progressive = try ImageFile.read(TestPaths.fixture("progressive.jpg"))
        let grey = try ImageFile.read(TestPaths.fixture("grey.jpg"))
        #expect(progressive.width == 16 && progressive.height == 16 && grey.width == 16)
        #expect(grey.pixels[0, 5, 5] == grey.pixels[1, 5, 5] && grey.pixels[1, 5, 5] == grey.pixels[2, 5, 5])
        // An Adobe CMYK JPEG is converted: pixel (5, 5) is RGB (80, 80, 128) in the source picture.
        let cmyk = try ImageFile.read(TestPaths.fixture("cmyk.jpg"))
        #expect(cmyk.width == 16)
        #expect(zip((0..<3).map { cmyk.pixels[$0, 5, 5] }, [80, 80, 128] as [Float]).allSatisfy { abs($0 - $1) < 8 })
    }

    @Test func hostileFilesThrowErrorsNamingTheFile() throws {
        let folder = try TemporaryFolder()
        var png = try ImageFile.encode(randomImage(width: 40, height: 40, seed: 2), format: .png)
        png.removeLast(png.count / 2)
        var jpeg = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestPaths.image("fruits.jpg"))))
        jpeg.removeLast(jpeg.count / 2)
        let cases = [
            try folder.write(png, to: "truncated.png"),
            try folder.write(jpeg, to: "truncated.jpg"),
            try folder.write([], to: "empty.png"),
            try folder.write(Array("this is not a picture\n".utf8), to: "text.png"),
        ]
        for path in cases {
            let error = #expect(throws: FileError.self) { try ImageFile.read(path) }
            #expect(error?.path == path)
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func refusesAHugeHeaderBeforeAllocating() throws {
        let error = #expect(throws: FileError.self) { try ImageFile.read(TestPaths.fixture("huge-header.png")) }
        #expect(error?.reason.contains("100000x100000") == true)
        #expect(error?.reason.contains("limit") == true)
    }

    @Test func refusesFilesOverTheSizeCapAndNonRegularFiles() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(try ImageFile.encode(randomImage(width: 64, height: 64, seed: 3), format: .png), to: "big.png")
        let error = #expect(throws: FileError.self) { try ImageFile.read(path, limits: ImageLimits(maxFileBytes: 1000)) }
        #expect(error?.reason.contains("limit") == true)
        let fifo = folder.path("style.jpg")
        #expect(mkfifo(fifo, 0o600) == 0)
        let fifoError = #expect(throws: FileError.self) { try ImageFile.read(fifo) }
        #expect(fifoError?.reason == "not a regular file")
    }

    @Test func exifOrientation6LoadsUpright() throws {
        // Stored 16×8: left half red, right half blue. Orientation 6 means "rotate 90° clockwise
        // to display", so it shows 8×16 with red on top.
        var stored = RGBImage(width: 16, height: 8)
        for y in 0..<8 { for x in 0..<16 { stored.pixels[x < 8 ? 0 : 2, y, x] = 255 } }
        let folder = try TemporaryFolder()
        let plain = try ImageFile.encode(stored, format: .jpeg, quality: 95)
        // APP1 "Exif\0\0" + little-endian TIFF with one IFD0 entry: Orientation (0x0112), SHORT, 1, value 6.
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
                             0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let app1: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        let path = try folder.write(Array(plain[0..<2]) + app1 + Array(plain[2...]), to: "rotated.jpg")
        let image = try ImageFile.read(path)
        #expect(image.width == 8 && image.height == 16)
        #expect(image.pixels[0, 2, 4] > 200 && image.pixels[2, 2, 4] < 60)  // top: red
        #expect(image.pixels[2, 13, 4] > 200 && image.pixels[0, 13, 4] < 60)  // bottom: blue
    }
}

@Suite struct ResampleTests {
    @Test func shrinkingAndEnlargingKeepAFlatImageFlat() {
        let flat = RGBImage(width: 50, height: 30, fill: 77)
        for (w, h) in [(10, 6), (100, 60), (49, 31)] {
            let resized = flat.resized(width: w, height: h)
            #expect(resized.width == w && resized.height == h)
            #expect(resized.pixels.data.allSatisfy { abs($0 - 77) < 1e-3 })
        }
    }

    @Test func shrinkingAveragesFineDetailInsteadOfAliasing() {
        var checker = RGBImage(width: 64, height: 64)
        for c in 0..<3 { for y in 0..<64 { for x in 0..<64 where (x + y) % 2 == 0 { checker.pixels[c, y, x] = 255 } } }
        let small = checker.resized(width: 8, height: 8)
        #expect(small.pixels.data.allSatisfy { abs($0 - 127.5) < 3 })
    }

    @Test func longerSideSetsTheSize() {
        let image = RGBImage(width: 300, height: 200)
        let resized = image.resized(longerSide: 384)
        #expect(resized.width == 384 && resized.height == 256)
    }
}

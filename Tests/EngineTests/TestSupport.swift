import Engine
import Foundation

/// Where the test inputs are: fixtures beside the tests, and the small photographs in
/// `Tests/Images` (their sources in `Tests/Images/SOURCES.md`).
enum TestPaths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let images = repository.appendingPathComponent("Tests/Images")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func image(_ name: String) -> String { images.appendingPathComponent(name).path }
}

/// A fresh temporary folder, removed when the test's scope ends.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("styled-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
    var generator = SeededGenerator(seed: seed)
    let data = (0..<3 * width * height).map { _ in Float(UInt8.random(in: 0...255, using: &generator)) }
    return RGBImage(pixels: Tensor(channels: 3, height: height, width: width, data: data))
}

func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
    let mse = zip(a.pixels.data, b.pixels.data).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(a.pixels.count)
    return 10 * log10(255 * 255 / mse)
}

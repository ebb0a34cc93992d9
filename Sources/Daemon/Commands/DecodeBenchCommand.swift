import ArgumentParser
import Engine
import Foundation

/// `styled bench-decode`: what decoding an input image in the sandboxed child
/// (`SandboxedDecoder`: spawn, rlimits, seccomp, pixels over a pipe) costs over decoding it
/// in the process, for a 4000×3000 (12-megapixel) PNG and JPEG made from a photograph.
struct DecodeBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-decode",
        abstract: "Time decoding a 12-megapixel PNG and JPEG in the process and in the decoder's sandbox; a benchmark, not a test.",
        discussion: "Prints the median milliseconds of each and the difference, the sandbox's overhead per image."
    )

    @Argument(help: "A photograph to enlarge to 4000×3000.") var photo: String
    @Option(help: "How many timed runs of each.") var runs = 9

    func run() throws {
        // Enlarged, with a little noise, as a camera's would have: an enlargement alone
        // compresses far better than a photograph of that size.
        var image = try ImageFile.read(photo).resized(width: 4000, height: 3000)
        var state: UInt64 = 12
        for i in image.pixels.data.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            image.pixels.data[i] = max(0, min(255, (image.pixels.data[i] + Float(state >> 61) - 3.5).rounded()))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("styled-bench-decode-\(getpid())")
        try createFolder(folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        for format in [ImageFormat.png, .jpeg] {
            let bytes = try ImageFile.encode(image, format: format, quality: 92)
            let path = folder.appendingPathComponent("photo.\(format.fileExtension)").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // The address-space limit leaves room for exactly this image and file.
            let limits = ImageLimits(maxPixels: 12_000_000, maxFileBytes: bytes.count)
            // As JobRenderer read images before the sandbox: read, decode, and hash for the Gram cache.
            let inProcess = {
                let bytes = try readRegularFile(path, maxBytes: limits.maxFileBytes, followLinks: false)
                return (try ImageFile.decode(bytes, name: path, limits: limits), SHA256.hex(bytes)).0
            }
            let sandboxed = { try SandboxedDecoder(limits: limits).decode(path).image }
            guard try inProcess() == sandboxed() else { throw ValidationError("the sandbox's pixels differ from the process's") }
            let local = try median(inProcess), child = try median(sandboxed)
            print(String(format: "decode %@ 4000x3000 (%.1f MB): in-process %.1f ms, sandboxed %.1f ms, overhead %.1f ms (median of %d)",
                         format.rawValue, Double(bytes.count) / 1e6, local, child, child - local, runs))
        }
    }

    private func median(_ decode: () throws -> RGBImage) throws -> Double {
        let milliseconds = try (0..<max(1, runs)).map { _ in
            let start = DispatchTime.now()
            _ = try decode()
            return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        }
        return milliseconds.sorted()[milliseconds.count / 2]
    }
}

import Engine
import Foundation
import Testing
@testable import Daemon

/// The daemon's image decoding in a sandboxed child (`styled decode`, run by SandboxedDecoder):
/// the same pixels and reasons as decoding in the process, and a child that makes a forbidden
/// call, hangs, sends garbage or runs out of memory is a failed file with a reason.
struct DecoderSandboxTests {
    static let fixtures = Harness.testImages.deletingLastPathComponent().appendingPathComponent("EngineTests/Fixtures")

    static func decoder(_ limits: ImageLimits = ImageLimits(), misbehaviour: String? = nil) -> SandboxedDecoder {
        SandboxedDecoder(limits: limits, executable: Harness.executable.path, misbehaviour: misbehaviour)
    }

    /// Decoding in this process, as JobRenderer did before the sandbox.
    static func inProcess(_ path: String, _ limits: ImageLimits = ImageLimits()) throws -> (image: RGBImage, digest: String) {
        let bytes = try readRegularFile(path, maxBytes: limits.maxFileBytes, followLinks: false)
        return (try ImageFile.decode(bytes, name: path, limits: limits), SHA256.hex(bytes))
    }

    /// A scratch folder, removed with the value.
    final class Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("styled-decode-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }

        func write(_ bytes: [UInt8], to name: String) throws -> String {
            try Data(bytes).write(to: url.appendingPathComponent(name))
            return url.appendingPathComponent(name).path
        }
    }

    @Test func pngAndJpegDecodeExactlyAsInProcess() throws {
        let folder = try Folder()
        // 8-bit opaque images go back as bytes; 16-bit and transparent ones as floats.
        var paths = ["fruits-crop.png", "gray8.png", "grayalpha8.png", "palette.png", "rgb16.png", "rgba8.png",
                     "cmyk.jpg", "grey.jpg", "progressive.jpg"].map { Self.fixtures.appendingPathComponent($0).path }
        paths.append(Harness.testImages.appendingPathComponent("fruits.jpg").path)
        // EXIF orientation 6 (an APP1 segment after SOI): the child sends the image upright.
        let plain = try ImageFile.encode(RGBImage(rgb8: (0..<16 * 8 * 3).map { UInt8($0 % 251) }, width: 16, height: 8), format: .jpeg)
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 1, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
        let app1: [UInt8] = [0xFF, 0xE1, 0, UInt8(tiff.count + 8)] + Array("Exif".utf8) + [0, 0] + tiff
        paths.append(try folder.write(Array(plain[0..<2]) + app1 + Array(plain[2...]), to: "rotated.jpg"))
        for path in paths {
            let sandboxed = try Self.decoder().decode(path), local = try Self.inProcess(path)
            #expect(sandboxed.image == local.image, "\(path)")
            #expect(sandboxed.digest == local.digest, "\(path)")
        }
        #expect(try Self.decoder().decode(paths.last!).image.height == 16)
    }

    @Test func hostileFilesFailWithTheReasonsOfInProcessDecoding() throws {
        let folder = try Folder()
        let photo = try ImageFile.read(Harness.testImages.appendingPathComponent("fruits.jpg").path).resized(longerSide: 96)
        let png = try ImageFile.encode(photo, format: .png), jpeg = try ImageFile.encode(photo, format: .jpeg)
        var cases = [
            try folder.write(Array(png.prefix(png.count / 2)), to: "cut.png"),
            try folder.write(Array(jpeg.prefix(jpeg.count / 2)), to: "cut.jpg"),
            try folder.write([], to: "empty.jpg"),
            try folder.write(Array("this is not a picture\n".utf8), to: "text.png"),
            Self.fixtures.appendingPathComponent("zlib-bomb.png").path,
            Self.fixtures.appendingPathComponent("huge-header.png").path,
            folder.url.appendingPathComponent("gone.png").path,
        ]
        let fifo = folder.url.appendingPathComponent("fifo.jpg").path, link = folder.url.appendingPathComponent("link.png").path
        #expect(mkfifo(fifo, 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: cases[0])
        cases += [fifo, link]
        let small = ImageLimits(maxPixels: 1000, maxFileBytes: 100)
        for (path, limits) in cases.map({ ($0, ImageLimits()) }) + [(cases[0], small)] {
            let local = #expect(throws: FileError.self) { try Self.inProcess(path, limits) }
            let sandboxed = #expect(throws: FileError.self) { try Self.decoder(limits).decode(path) }
            #expect(sandboxed == local && local != nil, "\(path)")
        }
        #expect(throws: FileError(path: cases[5], reason: "cannot decode: image is 100000x100000 pixels, more than the limit of 50000000")) {
            try Self.decoder().decode(cases[5])
        }
        #expect(throws: FileError(path: cases[4], reason: "cannot decode: image is 8000x8000 pixels, more than the limit of 50000000")) {
            try Self.decoder().decode(cases[4])
        }
    }

    /// The reason a misbehaving child gives, and how long it took to get it.
    static func misbehave(_ how: String, timeout: Double = 60, cpuSeconds: Int = 20,
                          limits: ImageLimits = ImageLimits()) throws -> (reason: String, seconds: Double) {
        var decoder = decoder(limits, misbehaviour: how)
        decoder.timeout = timeout
        decoder.cpuSeconds = cpuSeconds
        let began = Date()
        let error = #expect(throws: FileError.self) { try decoder.decode(fixtures.appendingPathComponent("gray8.png").path) }
        return (error?.reason ?? "", Date().timeIntervalSince(began))
    }

    @Test func aForbiddenSystemCallKillsTheChildWithSIGSYS() throws {
        let (reason, seconds) = try Self.misbehave("syscall")
        #expect(reason == "the image decoder was killed by signal 31 (SIGSYS: a forbidden system call)")
        #expect(seconds < 10)
    }

    @Test func aHangingChildIsKilledAtTheTimeout() throws {
        let (reason, seconds) = try Self.misbehave("loop", timeout: 1)
        #expect(reason == "the image decoder ran out of time: killed (signal 9) after 1.0 s")
        #expect(seconds >= 1 && seconds < 5)
    }

    @Test func aSpinningChildIsStoppedAtItsCPULimit() throws {
        let (reason, seconds) = try Self.misbehave("loop", timeout: 60, cpuSeconds: 1)
        #expect(reason == "the image decoder ran out of time: killed by signal 24 (SIGXCPU) at its limit of 1 s of CPU")
        #expect(seconds < 30)
    }

    /// Through the daemon: a job whose image makes its decoder call what the filter forbids
    /// fails with the child's signal as its reason, and the job beside it renders.
    @Test func aJobWhoseDecoderMakesAForbiddenCallFailsAndTheDaemonGoesOn() throws {
        let harness = try Harness()
        try JobInputTests.writeConfig(harness)
        let hostile = try harness.makeJob("hostile", manifest: JobInputTests.base.replacingOccurrences(of: "content.jpg", with: "hostile.jpg"))
        try FileManager.default.moveItem(at: hostile.appendingPathComponent("content.jpg"), to: hostile.appendingPathComponent("hostile.jpg"))
        try FileManager.default.moveItem(at: hostile, to: harness.url("inbox/hostile"))
        try harness.drop("good", manifest: JobInputTests.base)
        let daemon = try harness.startDaemon(["--drain"], extraEnvironment: ["STYLED_DECODE_TEST_MISBEHAVE": "syscall:hostile.jpg"])
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        #expect(harness.outboxJobs() == ["good", "hostile"])
        #expect(JobInputTests.rendered(harness.url("outbox/good")))
        let error = JobInputTests.error(harness.url("outbox/hostile"))?["error"] ?? ""
        #expect(error.contains("hostile.jpg") && error.contains("the image decoder was killed by signal 31 (SIGSYS: a forbidden system call)"), "\(error)")
    }

    @Test func garbageIsRefusedBeforeItIsBelieved() throws {
        let (reason, _) = try Self.misbehave("garbage")
        #expect(reason == "the image decoder returned garbage (a 100000x100000 image, beyond the limit of 50000000 pixels)")
    }

    @Test func aChildThatHoardsMemoryMeetsItsAddressSpaceLimit() throws {
        // 1 Mpx and 1 MB files: an address space of 256 + 1 + 32 MB.
        let (reason, _) = try Self.misbehave("memory", limits: ImageLimits(maxPixels: 1_000_000, maxFileBytes: 1 << 20))
        #expect(reason.hasPrefix("the image decoder crashed or ran out of memory (signal 6, Aborted): Fatal error: failed to allocate"), "\(reason)")
    }
}

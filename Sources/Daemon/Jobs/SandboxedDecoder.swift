import CSeccomp
import Engine
import Foundation
import Glibc

/// Decodes an image file in a child process, `styled decode` (Commands/DecodeCommand.swift),
/// which puts itself under resource limits and a seccomp filter before libpng or libjpeg see
/// a byte of it: a memory-safety bug that a hostile file hits then lands in a process that can
/// do nothing but hand back pixels. A child that dies, hangs or sends garbage makes a
/// `FileError` for the file, never a crash of the daemon.
struct SandboxedDecoder {
    var limits: ImageLimits
    /// The `styled` binary: this very one, unless a test runs it from elsewhere.
    var executable = "/proc/self/exe"
    /// Wall-clock seconds before the child is killed: above its CPU limit, since on a busy
    /// machine it waits for a core.
    var timeout = 60.0
    /// The child's CPU limit in seconds (about ten times what a 50-megapixel image takes).
    var cpuSeconds = 20
    /// STYLED_DECODE_TEST_MISBEHAVE for the child (tests only: the daemon's own environment
    /// is not passed on).
    var misbehaviour: String?

    /// What the child is to do wrong instead of decoding (tests only): `misbehaviour`, or, in a
    /// daemon started with STYLED_DECODE_TEST_MISBEHAVE=<how>:<file name>, <how> for files of
    /// that name, so that a test sees one job fail of it and the others go on.
    private func misbehaviour(for path: String) -> String? {
        if let misbehaviour { return misbehaviour }
        guard let test = getenv("STYLED_DECODE_TEST_MISBEHAVE").map({ String(cString: $0) }),
              let colon = test.firstIndex(of: ":"),
              test[test.index(after: colon)...] == path.split(separator: "/").last ?? "" else { return nil }
        return String(test[..<colon])
    }

    /// The image in `path` (a regular file, not a symbolic link) and the SHA-256 of its bytes.
    func decode(_ path: String) throws -> (image: RGBImage, digest: String) {
        // Read and hashed here, handed over in a memory file: the child decodes exactly the
        // bytes of the digest, even if someone writes to the file meanwhile.
        let bytes = try readRegularFile(path, maxBytes: limits.maxFileBytes, followLinks: false)
        let input = memfd_create("styled-decode", UInt32(MFD_CLOEXEC))
        guard input >= 0 else { throw FileError.system(path, "cannot hand the image to its decoder") }
        defer { close(input) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(input, $0.baseAddress! + written, $0.count - written, off_t(written)) }
            guard n > 0 else { throw FileError.system(path, "cannot hand the image to its decoder") }
            written += n
        }
        return (try run(input: input, path), SHA256.hex(bytes))
    }

    private func run(input: Int32, _ path: String) throws -> RGBImage {
        var stdout: [Int32] = [-1, -1], stderr: [Int32] = [-1, -1]
        guard pipe2(&stdout, O_CLOEXEC) == 0 else { throw FileError.system(path, "cannot start the image decoder") }
        defer { stdout.forEach { close($0) } }
        _ = fcntl(stdout[0], Self.setPipeSize, 1 << 20)  // 1 MB at a time, not 64 kB: a third of the time (a hint: may fail)
        guard pipe2(&stderr, O_CLOEXEC) == 0 else { throw FileError.system(path, "cannot start the image decoder") }
        defer { stderr.forEach { close($0) } }
        let pid = try spawn(stdin: input, stdout: stdout[1], stderr: stderr[1], misbehaviour: misbehaviour(for: path), path)
        close(stdout[1]); close(stderr[1])  // the child's now: their end is the end of its output
        stdout[1] = -1; stderr[1] = -1

        var pixels = PixelReader(maxPixels: limits.maxPixels), message: [UInt8] = []
        var garbage: String?, timedOut = false
        let deadline = ContinuousClock.now + .seconds(timeout)
        var fds = [pollfd(fd: stdout[0], events: Int16(POLLIN), revents: 0), pollfd(fd: stderr[0], events: Int16(POLLIN), revents: 0)]
        while garbage == nil && fds.contains(where: { $0.fd >= 0 }) {
            let left = deadline - .now
            guard left > .zero else { timedOut = true; break }
            let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
            guard poll(&fds, 2, Int32(clamping: ms)) > 0 else { continue }
            if fds[0].revents != 0 {
                do { if try !pixels.read(from: fds[0].fd) { fds[0].fd = -1 } } catch { garbage = "\(error)" }
            }
            if fds[1].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = read(fds[1].fd, &chunk, chunk.count)
                if n > 0 { message += chunk[..<min(n, 4096 - message.count)] } else if n == 0 || errno != EINTR { fds[1].fd = -1 }
            }
        }
        if timedOut || garbage != nil { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {  // its output ended: it is exiting
            if ContinuousClock.now > deadline && !timedOut { timedOut = true; kill(pid, SIGKILL) }
            usleep(200)
        }

        let name = "the image decoder"
        if timedOut { throw FileError(path: path, reason: "\(name) ran out of time: killed (signal 9) after \(timeout) s") }
        if let garbage { throw FileError(path: path, reason: "\(name) returned garbage (\(garbage))") }
        let said = String(decoding: message, as: UTF8.self).split(separator: "\n").first
            .map { String($0.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(300)) }
        let signal = status & 0x7F
        if signal != 0 { throw FileError(path: path, reason: Self.killed(signal, cpuSeconds: cpuSeconds, said: said)) }
        guard status >> 8 & 0xFF == 0 else { throw FileError(path: path, reason: said ?? "\(name) failed with status \(status >> 8 & 0xFF)") }
        do { return try pixels.image() } catch { throw FileError(path: path, reason: "\(name) returned garbage (\(error))") }
    }

    /// fcntl's F_SETPIPE_SZ, which <fcntl.h> declares only with _GNU_SOURCE.
    private static let setPipeSize: Int32 = 1031

    private static func killed(_ signal: Int32, cpuSeconds: Int, said: String?) -> String {
        switch signal {
        case SIGSYS: return "the image decoder was killed by signal 31 (SIGSYS: a forbidden system call)"
        case SIGXCPU: return "the image decoder ran out of time: killed by signal 24 (SIGXCPU) at its limit of \(cpuSeconds) s of CPU"
        case SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT:
            // Swift aborts (SIGABRT) on an allocation refused at the address-space limit, saying so.
            return "the image decoder crashed or ran out of memory (signal \(signal), \(String(cString: strsignal(signal))))" + (said.map { ": \($0)" } ?? "")
        default: return "the image decoder was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        }
    }

    /// `styled decode` with stdin, stdout and stderr and no other descriptor of the daemon,
    /// default signal handling (an ignored SIGXCPU would let it run to the hard limit), and a
    /// bare environment.
    private func spawn(stdin: Int32, stdout: Int32, stderr: Int32, misbehaviour: String?, _ path: String) throws -> pid_t {
        let arguments = ["styled", "decode", "--max-megapixels", "\(Double(limits.maxPixels) / 1e6)",
                         "--max-file-bytes", "\(limits.maxFileBytes)", "--cpu-seconds", "\(cpuSeconds)"]
        // No Swift backtracer (its helper process would die of the filter, and hide the real
        // signal), and OpenBLAS without threads (the filter holds for one).
        let environment = ["SWIFT_BACKTRACE=enable=no", "OPENBLAS_NUM_THREADS=1"] + (misbehaviour.map { ["STYLED_DECODE_TEST_MISBEHAVE=\($0)"] } ?? [])
        do { return try spawnChild(executable, arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr) } catch let error as POSIXError {
            throw FileError.system(path, "cannot start the image decoder \(executable)", code: error.code.rawValue)
        }
    }
}

/// The decoded samples as `styled decode` writes them: "STYLEDPX", then the layout's width,
/// height, bit depth and EXIF orientation as little-endian UInt32, then the samples.
enum DecodedPixels {
    static let magic = Array("STYLEDPX".utf8)
    static let headerSize = magic.count + 16

    static func header(_ layout: DecodedLayout) -> [UInt8] {
        magic + [layout.width, layout.height, layout.bitDepth, layout.orientation].flatMap { value in
            (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
    }
}

/// The child's stdout, read straight into place: the header, then exactly the samples it
/// announces, within the pixel limit. Anything else is garbage, the error says how. The
/// samples become floats here, by the code that makes them in-process (`ImageFile.rgbImage`),
/// so both ways give the same pixels.
struct PixelReader {
    struct Garbage: Error, CustomStringConvertible { var description: String }

    let maxPixels: UInt64
    private var header: [UInt8] = []
    private var layout: DecodedLayout?
    private var samples: [UInt8] = []
    private var received = 0

    init(maxPixels: UInt64) { self.maxPixels = maxPixels }

    /// Reads what `fd` has; false at its end.
    mutating func read(from fd: Int32) throws -> Bool {
        let n: Int
        if layout == nil {
            var chunk = [UInt8](repeating: 0, count: DecodedPixels.headerSize - header.count)
            n = Glibc.read(fd, &chunk, chunk.count)
            if n > 0 { header += chunk[..<n] }
            if header.count == DecodedPixels.headerSize { try start() }
        } else if received < samples.count {
            let offset = received
            n = samples.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { received += n }
        } else {
            var extra: UInt8 = 0
            n = Glibc.read(fd, &extra, 1)
            if n > 0 { throw Garbage(description: "more bytes than its samples") }
        }
        return n > 0 || (n < 0 && errno == EINTR)
    }

    private mutating func start() throws {
        guard header.starts(with: DecodedPixels.magic) else { throw Garbage(description: "no STYLEDPX header") }
        let fields = (0..<4).map { field in (0..<4).reduce(0) { $0 | Int(header[DecodedPixels.magic.count + field * 4 + $1]) << ($1 * 8) } }
        let layout = DecodedLayout(width: fields[0], height: fields[1], bitDepth: fields[2], orientation: fields[3])
        guard layout.width > 0, layout.height > 0, UInt64(layout.width) * UInt64(layout.height) <= maxPixels else {  // each below 2^32: no overflow
            throw Garbage(description: "a \(layout.width)x\(layout.height) image, beyond the limit of \(maxPixels) pixels")
        }
        guard layout.bitDepth == 8 || layout.bitDepth == 16 else { throw Garbage(description: "samples of \(layout.bitDepth) bits") }
        guard (1...8).contains(layout.orientation) else { throw Garbage(description: "orientation \(layout.orientation)") }
        samples = [UInt8](repeating: 0, count: layout.byteCount)
        self.layout = layout
    }

    /// The image, once the output has ended.
    func image() throws -> RGBImage {
        guard let layout else { throw Garbage(description: "no STYLEDPX header") }
        guard received == samples.count else { throw Garbage(description: "\(received) bytes of samples instead of \(samples.count)") }
        return samples.withUnsafeBytes { ImageFile.rgbImage(layout, $0) }
    }
}

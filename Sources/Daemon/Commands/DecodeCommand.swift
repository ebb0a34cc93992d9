import ArgumentParser
import CSeccomp
import Engine
import Glibc

/// `styled decode`: the daemon's image decoder, which SandboxedDecoder runs as a child process
/// for every input image, since libpng and libjpeg are C with a history of memory-safety bugs
/// and the files come from anyone who can write to an inbox. It reads the encoded file from
/// stdin, then decodes it under resource limits and a seccomp filter, and writes the pixels
/// to stdout (`DecodedPixels`), or one line on stderr saying why the file is no image, and
/// exits 1.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode one PNG or JPEG from stdin in a sandbox, for the daemon (pixels on stdout).",
        shouldDisplay: false
    )

    @Option(help: "The largest image, in megapixels, that the file may declare.") var maxMegapixels = 50.0
    @Option(help: "The largest file, in bytes.") var maxFileBytes = 100 << 20
    @Option(help: "Seconds of CPU before the kernel stops the decoder (SIGXCPU).") var cpuSeconds = 20

    func run() throws {
        let limits = ImageLimits(maxPixels: UInt64((maxMegapixels * 1e6).rounded()), maxFileBytes: maxFileBytes)
        let misbehaviour = getenv("STYLED_DECODE_TEST_MISBEHAVE").map { String(cString: $0) }
        do {
            try limitResources(limits)
            let bytes = try readInput(maxBytes: limits.maxFileBytes)
            try enterSandbox()
            if let misbehaviour { misbehave(misbehaviour, bytes, limits) }
            try ImageFile.withSamples(of: bytes, name: "stdin", limits: limits) { layout, samples in
                try DecodedPixels.write(layout, samples, to: 1)
            }
        } catch let error as FileError {
            let line = Array((error.reason + "\n").utf8)
            _ = write(2, line, line.count)
            _exit(1)
        }
        _exit(0)  // at once: exit handlers might make calls that the filter forbids
    }

    /// Beyond these the kernel refuses memory (an allocation fails), stops the process
    /// (SIGXCPU, then SIGKILL a second later), and refuses any file write or new descriptor.
    private func limitResources(_ limits: ImageLimits) throws {
        // The runtime and libraries map 130 MB; on top of them: the file, and the decoded RGBA
        // (8 bytes a pixel at 16 bits) twice over, for the codecs' own buffers.
        let addressSpace = (256 << 20) + rlim_t(limits.maxFileBytes) + rlim_t(limits.maxPixels) * 16
        let cpu = rlim_t(cpuSeconds)
        // Four descriptors: stdin, stdout, stderr and one to count threads with.
        for (resource, soft, hard) in [(RLIMIT_AS, addressSpace, addressSpace), (RLIMIT_CPU, cpu, cpu + 1),
                                       (RLIMIT_FSIZE, 0, 0), (RLIMIT_NOFILE, 4, 4)] {
            var limit = rlimit(rlim_cur: soft, rlim_max: hard)
            guard setrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else {
                throw FileError.system("stdin", "cannot limit the decoder's resources")
            }
        }
    }

    /// All of stdin, up to `maxBytes`.
    private func readInput(maxBytes: Int) throws -> [UInt8] {
        var info = stat()
        let expected = fstat(0, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 1 << 20
        var bytes = [UInt8](repeating: 0, count: min(expected, maxBytes) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard filled <= maxBytes else { throw FileError(path: "stdin", reason: "file is more than the limit of \(maxBytes) bytes") }
                bytes += [UInt8](repeating: 0, count: min(bytes.count, maxBytes + 1 - bytes.count))
            }
            let n = bytes.withUnsafeMutableBytes { read(0, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FileError.system("stdin", "cannot read the image") }
            if n == 0 { return Array(bytes[..<filled]) }
            filled += n
        }
    }

    /// From here on the process can only do what decoding needs: use memory, write to
    /// stdout and stderr, and exit (or abort). Any other system call kills it with SIGSYS.
    private func enterSandbox() throws {
        // A filter holds for the thread that installs it (seccomp's TSYNC, for all threads,
        // needs the seccomp call, which the systemd unit does not allow): there must be no
        // other thread. SandboxedDecoder starts OpenBLAS without its own.
        guard let threads = opendir("/proc/self/task") else { throw FileError.system("stdin", "cannot count the decoder's threads") }
        var count = 0
        while let entry = readdir(threads) { count += entry.pointee.d_name.0 == 0x2E ? 0 : 1 }  // not . and ..
        closedir(threads)
        guard count == 1 else { throw FileError(path: "stdin", reason: "cannot sandbox the decoder: it has \(count) threads, not 1") }

        guard styled_set_not_dumpable() == 0 else { throw FileError.system("stdin", "cannot sandbox the decoder: prctl") }
        // seccomp_load sets no_new_privs first (SCMP_FLTATR_CTL_NNP is on by default): without
        // privileges a filter may only be installed once the process cannot gain any.
        // KILL_PROCESS needs the seccomp call too; without it, killing the one thread is the same.
        let kill = seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL_THREAD
        guard let filter = seccomp_init(kill) else { throw FileError(path: "stdin", reason: "cannot sandbox the decoder: seccomp_init failed") }
        defer { seccomp_release(filter) }
        var status = seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH, kill)  // a 32-bit call is not checked by name: kill
        for (call, arguments) in Self.rules(pid: getpid()) where status == 0 {
            status = seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(call), UInt32(arguments.count), arguments)
        }
        if status == 0 { status = seccomp_load(filter) }
        guard status == 0 else { throw FileError.system("stdin", "cannot sandbox the decoder: seccomp", code: -status) }
    }

    /// Every call the decoder was found to make once the filter is in, with why; where one
    /// could reach beyond the process, the arguments it must have.
    private static func rules(pid: pid_t) -> [(call: String, arguments: [scmp_arg_cmp])] {
        func argument(_ index: UInt32, is value: Int32) -> scmp_arg_cmp {
            scmp_arg_cmp(arg: index, op: SCMP_CMP_EQ, datum_a: UInt64(value), datum_b: 0)
        }
        return [
            // malloc and free: small blocks on the heap, large ones (pixels) mapped, never
            // executable. (Decoding calls no realloc, so no mremap; one thread, one arena,
            // trimmed by brk: no madvise.)
            ("brk", []), ("munmap", []),
            ("mmap", [scmp_arg_cmp(arg: 2, op: SCMP_CMP_MASKED_EQ, datum_a: UInt64(PROT_EXEC), datum_b: 0)]),
            ("write", [argument(0, is: 1)]), ("write", [argument(0, is: 2)]),  // the pixels, or why not: never to the input
            ("exit_group", []),  // _exit at the end
            // A Swift fatal error (an allocation refused at the address-space limit) prints its
            // stack (a one-time initialisation: futex), then abort() unblocks SIGABRT and
            // sends it to this thread, and the parent sees a crash, not a forbidden call.
            ("futex", []), ("rt_sigprocmask", []), ("getpid", []), ("gettid", []),
            ("tgkill", [argument(0, is: pid), argument(2, is: SIGABRT)]),
        ]
    }

    /// What STYLED_DECODE_TEST_MISBEHAVE asks, so that the tests see the parent handle a
    /// decoder that makes a forbidden call, hangs or sends garbage (as a compromised one might).
    private func misbehave(_ how: String, _ bytes: [UInt8], _ limits: ImageLimits) {
        switch how {
        case "syscall":
            _ = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        case "loop":
            while true { _ = try? ImageFile.decode(bytes, name: "stdin", limits: limits) }
        case "garbage":
            // A header claiming 100000×100000 pixels: the parent must refuse it before allocating.
            let lie = DecodedPixels.header(DecodedLayout(width: 100_000, height: 100_000, bitDepth: 8, orientation: 1)) + [UInt8](repeating: 0x55, count: 4096)
            _ = write(1, lie, lie.count)
            _exit(0)
        case "memory":
            var hoard: [[UInt8]] = []
            while true { hoard.append([UInt8](repeating: 1, count: 64 << 20)) }
        default: break
        }
    }
}

extension DecodedPixels {
    /// The header, then the samples as the codec gave them: the parent makes them floats.
    static func write(_ layout: DecodedLayout, _ samples: UnsafeRawBufferPointer, to fd: Int32) throws {
        try header(layout).withUnsafeBytes { try writeAll($0, to: fd) }
        try writeAll(samples, to: fd)
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileError.system("stdout", "cannot write the pixels") }
            done += n
        }
    }
}

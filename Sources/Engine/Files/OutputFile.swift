import Glibc

/// An output file over a descriptor, appended to; write failures (a full disk) are errors
/// naming the file and carrying the system's reason, so that callers can tell ENOSPC.
public final class OutputFile {
    public let path: String
    private var descriptor: Int32

    public init(path: String, truncate: Bool = false) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0o644)
        guard descriptor >= 0 else { throw FileError.system(path) }
    }

    public func append(_ bytes: some Collection<UInt8>) throws {
        // Written from the collection's own storage where it has one: a checkpoint's arrays are
        // too large to copy on the way out.
        if try bytes.withContiguousStorageIfAvailable({ try append(UnsafeRawBufferPointer($0)) }) != nil { return }
        try Array(bytes).withUnsafeBytes { try append($0) }
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw FileError.system(path, "cannot write") }
            offset += written
        }
    }

    /// Waits until the bytes written are on the disk.
    public func sync() throws {
        guard fsync(descriptor) == 0 else { throw FileError.system(path, "cannot sync") }
    }

    public func close() throws {
        guard descriptor >= 0 else { return }
        let status = Glibc.close(descriptor)
        descriptor = -1
        guard status == 0 else { throw FileError.system(path, "cannot close") }
    }

    deinit { try? close() }
}

/// Writes a whole file through a temporary name beside it and a rename, so that no reader
/// sees half of it. The temporary name is unique to this process and call (two jobs or two
/// daemons may write the same cache entry); it is removed if anything fails. When `durable`,
/// the file is synced before the rename and the folder after it, so that after a power cut
/// the name holds either the old contents or all of the new.
public func writeFileAtomically(_ bytes: [UInt8], to path: String, durable: Bool = false) throws {
    try writeFileAtomically(to: path, durable: durable) { try $0.append(bytes) }
}

/// The same, with the contents written by `write` (in parts, so that they need not be in memory at once).
public func writeFileAtomically(to path: String, durable: Bool = false, write: (OutputFile) throws -> Void) throws {
    let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    let temporary = String(path[..<slash]) + ".\(path[slash...]).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    do {
        let file = try OutputFile(path: temporary, truncate: true)
        try write(file)
        if durable { try file.sync() }
        try file.close()
        guard rename(temporary, path) == 0 else {
            throw FileError.system(path, "cannot rename into place")
        }
    } catch {
        unlink(temporary)
        throw error
    }
    if durable { try syncFolder(slash == path.startIndex ? "." : String(path[..<path.index(before: slash)])) }
}

/// Syncs a folder, so that the names just created or renamed in it survive a power cut.
public func syncFolder(_ path: String) throws {
    let descriptor = open(path.isEmpty ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError.system(path, "cannot open folder") }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw FileError.system(path, "cannot sync folder") }
}

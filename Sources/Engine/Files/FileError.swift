import Glibc

/// A failure tied to a file: which file, and why, in words a user can act on. When a system
/// call failed, `code` is its errno, so that callers decide by the code (a full disk pauses
/// work; a move across filesystems copies instead) and never by matching the words.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String
    public var code: Int32?

    public init(path: String, reason: String, code: Int32? = nil) {
        self.path = path
        self.reason = reason
        self.code = code
    }

    /// The failure of the system call just made: `doing` (e.g. "cannot write") and errno's text, with errno as the code.
    public static func system(_ path: String, _ doing: String? = nil, code: Int32 = errno) -> FileError {
        let text = String(cString: strerror(code))
        return FileError(path: path, reason: doing.map { "\($0): \(text)" } ?? text, code: code)
    }

    /// A full disk or quota (ENOSPC, EDQUOT): not the job's fault, so work pauses instead of failing.
    public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "\(path): \(reason)" }
}

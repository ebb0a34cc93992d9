import Engine
import Foundation

/// A job folder as dropped by a user: `job.toml` beside its images. Names in the manifest are
/// resolved here, and only to regular files inside the folder: no absolute paths, no `..`,
/// no symbolic links (which could point anywhere), no hard links (which could be anyone's).
struct JobFolder {
    static let manifestName = "job.toml"

    var url: URL

    var manifestPath: String { url.appendingPathComponent(Self.manifestName).path }

    /// The path of `name`, named by manifest field `field`, after checking it stays inside.
    func file(_ name: String, field: String) throws -> String {
        func fail(_ reason: String) -> ManifestError { ManifestError(file: manifestPath, field: field, reason: "`\(name)` \(reason)") }
        guard !name.isEmpty, !name.hasPrefix("/") else { throw fail("must be a file name inside the job folder, not an absolute path") }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw fail("must be a file name inside the job folder (no `..`)")
        }
        var path = url.path
        for component in components {
            path += "/" + component
            var info = stat()
            guard lstat(path, &info) == 0 else { throw fail("does not exist in the job folder") }
            if (info.st_mode & S_IFMT) == S_IFLNK { throw fail("is a symbolic link; copy the file into the job folder instead") }
            if let reason = Self.hardLinkReason(info) { throw fail(reason) }
        }
        return path
    }

    /// The manifest, checked as the images are: a hard link is refused.
    func checkManifest() throws {
        var info = stat()
        if lstat(manifestPath, &info) == 0, let reason = Self.hardLinkReason(info) {
            throw ManifestError(file: manifestPath, field: nil, reason: "`\(Self.manifestName)` \(reason)")
        }
    }

    /// A file with more than one name may be another user's file, linked in by someone who
    /// could not read it; the daemon, which can, must not read it on their behalf.
    private static func hardLinkReason(_ info: stat) -> String? {
        (info.st_mode & S_IFMT) == S_IFREG && info.st_nlink > 1
            ? "is a hard link (the file has \(info.st_nlink) names, and may belong to someone else); copy the file into the job folder instead" : nil
    }
}

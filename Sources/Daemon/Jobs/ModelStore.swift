import Engine
import Foundation

/// The model cache: one `NAME.safetensors` per model in the engine's own format, in
/// `$STYLED_MODELS`, else `$XDG_CACHE_HOME/styled/models`, else `~/.cache/styled/models`.
struct ModelStore {
    var directory: URL

    static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["STYLED_MODELS"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        return cacheRoot(environment: environment).appendingPathComponent("models")
    }

    /// styled's cache folder: `$XDG_CACHE_HOME/styled`, else `~/.cache/styled`.
    static func cacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return cache.appendingPathComponent("styled")
    }

    func path(of name: String) -> URL { directory.appendingPathComponent("\(name).safetensors") }

    func load(_ name: String) throws -> VGGWeights {
        let file = path(of: name)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw ModelUnavailable(name: name, reason: "\(file.path): model \(name) is not in the cache; run `styled model fetch`")
        }
        do { return try VGGWeights.load(path: file.path) } catch {
            throw ModelUnavailable(name: name, reason: "\(error)")
        }
    }

    /// Stores weights under `name` (written whole, then renamed into place).
    func store(_ weights: VGGWeights, as name: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try writeFileAtomically(weights.safetensorsBytes(), to: path(of: name).path)
    }
}

/// A model that is missing or does not load (damaged, or its digest does not match).
struct ModelUnavailable: Error, CustomStringConvertible {
    var name: String
    var reason: String
    var description: String { reason }
}

import Engine
import Foundation

/// The models the configuration's jobs use, checked at start (a daemon without a working
/// model refuses to start) and before each claim (a model removed or damaged while running
/// pauses intake): a problem on the server's side must never fail the jobs. A model is read
/// and its SHA-256 verified again only when its file changed since the last check.
final class ModelCheck {
    let store: ModelStore
    let names: [String]
    private var verified: [String: [Int]] = [:]

    init(store: ModelStore, config: Config) {
        self.store = store
        names = Array(Set(["vgg16"] + config.profiles.compactMap { $0.parameters["model"]?.string })).sorted()
    }

    /// Why a model cannot be used now, or nil when all can.
    func problem() -> String? {
        for name in names {
            let path = store.path(of: name).path
            var info = stat()
            guard stat(path, &info) == 0 else {
                verified[name] = nil
                return "model \(name) is missing at \(path); run `styled model fetch`"
            }
            let signature = [Int(info.st_dev), Int(info.st_ino), Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
            if verified[name] == signature { continue }
            do {
                _ = try store.load(name)
                verified[name] = signature
            } catch {
                verified[name] = nil
                return "model \(name) cannot be used: \(error)"
            }
        }
        return nil
    }
}

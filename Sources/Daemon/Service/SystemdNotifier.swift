import Engine
import Foundation

/// systemd's notify protocol, written here rather than linking libsystemd for one call: each
/// message is one datagram of `KEY=VALUE` lines sent to the unix socket named by
/// `$NOTIFY_SOCKET` (a leading `@` means the abstract namespace). Without that variable
/// (not started by systemd with Type=notify) every call does nothing.
final class SystemdNotifier: @unchecked Sendable {
    private let socketPath: String?
    /// Half of `$WATCHDOG_USEC`, the interval at which systemd expects `WATCHDOG=1`; nil
    /// when no watchdog is set for this process.
    let watchdogInterval: Double?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        watchdogInterval = forUs ? environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 2e6 } : nil
    }

    func ready(status: String) { send("READY=1\nSTATUS=\(Self.oneLine(status))") }
    func status(_ text: String) { send("STATUS=\(Self.oneLine(text))") }
    func watchdog() { send("WATCHDOG=1") }
    func stopping() { send("STOPPING=1") }
    /// Before a reload; `READY=1` follows it. systemd wants the monotonic clock with it.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        send("RELOADING=1\nMONOTONIC_USEC=\(Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1000)")
    }

    /// A value on one line: a job's name may hold a newline, which would end the field.
    private static func oneLine(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: " ") }

    private func send(_ message: String) {
        guard let socketPath else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, length) }
        }
    }
}

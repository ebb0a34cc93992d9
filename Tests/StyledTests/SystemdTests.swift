import Engine
import Foundation
import Testing

@Suite struct SystemdTests {
    /// A unix datagram socket standing in for systemd's notify socket.
    final class FakeNotifySocket {
        let path: String
        let descriptor: Int32

        init(path: String) throws {
            self.path = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw FileError(path: path, reason: "cannot bind") }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// Every message received until `seconds` pass.
        func messages(for seconds: Double) -> [String] {
            var result: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { result.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
            }
            return result
        }

        deinit { close(descriptor) }
    }

    @Test func theDaemonSendsReadyStatusWatchdogAndReloadNotifications() throws {
        let harness = try Harness()
        _ = try harness.writeConfig()
        let socket = try FakeNotifySocket(path: harness.url("notify.sock").path)
        // Long enough to be still rendering when SIGTERM comes.
        let job = try harness.makeJob("tiny", manifest: "content = \"content.jpg\"\nstyle = \"style.jpg\"\nsize = 64\niterations = 9000\nframe_every = 0\n")
        let before = Harness.snapshot(job)
        try FileManager.default.moveItem(at: job, to: harness.url("inbox/tiny"))
        let daemon = try harness.startDaemon(log: harness.url("daemon.log"),
                                             extraEnvironment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])  // pings every 0.2 s
        let messages = socket.messages(for: 4)
        // SIGHUP with a profile added: RELOADING=1 (with the monotonic clock), then READY=1.
        try (String(contentsOf: harness.url("styled.toml"), encoding: .utf8) + "\n[[profile]]\nname = \"added\"\nmax_size = 9\n")
            .write(to: harness.url("styled.toml"), atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        let reload = socket.messages(for: 1).filter { !$0.hasPrefix("STATUS=") && $0 != "WATCHDOG=1" }
        let stop = Date()
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(Date().timeIntervalSince(stop) < 10)
        let after = socket.messages(for: 0.5)
        #expect(reload.count == 2 && reload[0].hasPrefix("RELOADING=1\nMONOTONIC_USEC=") && reload[1].hasPrefix("READY=1"), "\(reload)")
        let log = try String(contentsOf: harness.url("daemon.log"), encoding: .utf8)
        #expect(log.split(separator: "\n").contains { $0.contains("configuration reloaded") && $0.contains("small, large, added") }, "\(log)")
        // SIGTERM mid-render leaves the job claimed (with its checkpoint), nothing filed in the outbox.
        #expect(Harness.snapshot(harness.url("state/processing/tiny")) == before)
        #expect(harness.outboxJobs().isEmpty)
        #expect(messages.first?.hasPrefix("READY=1\nSTATUS=watching") == true, "\(messages.prefix(3))")
        #expect(messages.contains { $0.hasPrefix("STATUS=rendering tiny: iteration") })
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 3)
        #expect((messages + after).contains("STOPPING=1"))
        #expect(daemon.terminationStatus == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "systemd-analyze is not installed (scripts/install-deps installs systemd)"))
    func systemdAnalyzeAcceptsTheUnit() throws {
        let harness = try Harness()
        // The unit as installed, but pointing at this build's binary (the installed one may not exist here).
        let unit = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/systemd/styled.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/styled", with: Harness.executable.path)
        let path = harness.url("styled.service")
        try unit.write(to: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", path.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // Only complaints about this unit count (not about the machine's other units, or the
        // styled user, which scripts/install creates).
        let complaints = output.split(separator: "\n").filter { $0.contains("styled.service") && !$0.contains("User") }
        #expect(complaints.isEmpty, "\(output)")
        #expect(process.terminationStatus == 0, "\(output)")
    }
}

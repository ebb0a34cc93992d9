import Foundation
import Testing

/// The shipped unit stays sandboxed (issue 17): `systemd-analyze security` rates the plain
/// unit, and the unit with the Slurm drop-in merged in, at an exposure of at most 2.0.
@Suite struct UnitSecurityTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// systemd-analyze on the PATH (Debian: the systemd package), if any.
    static let analyzer: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":").map { "\($0)/systemd-analyze" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let limit = 2.0

    /// The overall exposure `systemd-analyze security --offline=true` gives the unit file, and
    /// its whole output (for the failure message).
    static func exposure(of unit: URL) throws -> (level: Double?, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyzer!)
        process.arguments = ["security", "--offline=true", "--no-pager", unit.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "→ Overall exposure level for styled.service: 0.3 SAFE 😀"
        let line = text.split(separator: "\n").last { $0.contains("Overall exposure level for ") }
        let level = line.flatMap { $0.components(separatedBy: ": ").last?.split(separator: " ").first }.flatMap { Double($0) }
        return (process.terminationStatus == 0 ? level : nil, text)
    }

    /// A scratch folder holding `styled.service` made of `parts` one after another (a unit and
    /// then a drop-in: systemd reads a section given twice as one, the later settings last).
    static func unit(joining parts: [String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("styled-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let text = try parts.map { try String(contentsOf: repository.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        try text.write(to: folder.appendingPathComponent("styled.service"), atomically: true, encoding: .utf8)
        return folder.appendingPathComponent("styled.service")
    }

    @Test(.enabled(if: analyzer != nil, "systemd-analyze is not installed"))
    func theShippedUnitIsExposedAtMost2() throws {
        let (level, output) = try Self.exposure(of: Self.repository.appendingPathComponent("etc/systemd/styled.service"))
        #expect(level != nil, "no overall exposure level in:\n\(output)")
        #expect((level ?? .infinity) <= Self.limit, "\(output)")
    }

    @Test(.enabled(if: analyzer != nil, "systemd-analyze is not installed"))
    func theUnitWithTheSlurmDropInIsExposedAtMost2() throws {
        let merged = try Self.unit(joining: ["etc/systemd/styled.service", "etc/systemd/styled-slurm.conf"])
        defer { try? FileManager.default.removeItem(at: merged.deletingLastPathComponent()) }
        let (level, output) = try Self.exposure(of: merged)
        let (plain, _) = try Self.exposure(of: Self.repository.appendingPathComponent("etc/systemd/styled.service"))
        #expect(level != nil, "no overall exposure level in:\n\(output)")
        #expect((level ?? .infinity) <= Self.limit, "\(output)")
        // The drop-in was read: it opens the network, so the merged unit rates worse than the plain one.
        #expect((level ?? 0) > (plain ?? .infinity), "\(output)")
    }
}

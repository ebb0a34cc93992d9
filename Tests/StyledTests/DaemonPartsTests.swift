import Foundation
import Testing
import TOMLKit
@testable import Daemon

/// The daemon's parts called directly, without launching the binary: the configuration's
/// parsing, names at the length limit, partial folders' owners, the disk-need estimate.
struct DaemonPartsTests {
    static func config(_ text: String) throws -> Config { try Config(table: TOMLTable(string: text), file: "styled.toml") }

    static let minimal = "[[inbox]]\npath = \"in\"\noutbox = \"out\"\n"

    @Test func theConfigurationNamesTheFieldAtFault() throws {
        let cases: [(text: String, field: String)] = [
            ("state = \"s\"\n", "inbox"),
            ("jobs_at_once = 0\n" + Self.minimal, "jobs_at_once"),
            ("inboxes = 2\n" + Self.minimal, "inboxes"),
            (Self.minimal + "[[profile]]\nname = \"p\"\nmax_size = 100\nstyle_wieght = 3\n", "style_wieght"),
        ]
        for (text, field) in cases {
            #expect(throws: ConfigError.self) { try Self.config(text) }
            do { _ = try Self.config(text) } catch let error as ConfigError {
                #expect(error.field == field, "\(text): \(error)")
            }
        }
    }

    @Test func aJobTakesTheFirstProfileThatCoversItsSize() throws {
        let config = try Self.config(Self.minimal + """
            [[profile]]
            name = "small"
            max_size = 400
            [[profile]]
            name = "large"
            max_size = 4096
            """)
        #expect(config.profile(named: nil, size: 400)?.name == "small")
        #expect(config.profile(named: nil, size: 401)?.name == "large")
        #expect(config.profile(named: nil, size: 5000) == nil)
        #expect(config.profile(named: "large", size: 16)?.name == "large")
    }

    @Test func numberedNamesFitInAFileName() {
        let long = String(repeating: "é", count: 127) + "x"  // 255 bytes
        #expect(FileSystem.numbered(long, 1) == long)
        for attempt in [2, 10, 10_000] {
            let name = FileSystem.numbered(long, attempt)
            #expect(name.utf8.count <= FileSystem.nameMax && name.hasSuffix("-\(attempt)"))
            #expect(long.hasPrefix(String(name.dropLast("-\(attempt)".count))))
        }
        #expect(FileSystem.numbered("job", 3) == "job-3")
    }

    @Test func aDaemonRecognisesOnlyItsOwnPartialFolders() {
        let claims = Claims(processing: URL(fileURLWithPath: "/nowhere"), owner: "a1")
        #expect(claims.job(ofPartial: ".sunset.a1.partial") == "sunset")
        #expect(claims.job(ofPartial: ".sun.set.a1.partial-2") == "sun.set")
        #expect(claims.job(ofPartial: ".sunset.b2.partial") == nil)
        #expect(claims.job(ofPartial: ".sunset.a1.partial-x") == nil)
        #expect(claims.job(ofPartial: "sunset") == nil)
    }
}

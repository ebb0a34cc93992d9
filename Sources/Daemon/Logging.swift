import Foundation
import Logging

/// Log lines on stderr, each with its syslog priority in angle brackets (`<6>` for info), as
/// journald reads them from a service's output.
struct SyslogStderrHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = metadata.merging(extra ?? [:]) { $1 }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        FileHandle.standardError.write(Data("<\(Self.priority(level))>\(message)\(fields)\n".utf8))
    }
}

func makeLogger(level: String) -> Logger {
    Logger(label: "styled") { label in SyslogStderrHandler(logLevel: Logger.Level(rawValue: level) ?? .info, label: label) }
}

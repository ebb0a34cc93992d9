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

    /// One line per event: a newline inside (a job's name may hold one) is written as `\n`,
    /// so that journald does not take the rest for a line of its own, without a priority.
    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(event.message)\(fields)".replacingOccurrences(of: "\n", with: "\\n")
        ProgressLine.clear()  // a progress line on the terminal gives way; the next progress redraws it
        FileHandle.standardError.write(Data("<\(Self.priority(event.level))>\(line)\n".utf8))
    }
}

func makeLogger(level: String) -> Logger {
    Logger(label: "styled") { label in SyslogStderrHandler(logLevel: Logger.Level(rawValue: level) ?? .info, label: label) }
}

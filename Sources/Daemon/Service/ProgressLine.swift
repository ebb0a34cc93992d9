import Engine
import Foundation

/// Progress on the terminal: one line (iteration/total, loss, seconds per iteration, ETA per
/// job) redrawn in place. Drawn only when stderr is a terminal that is not a service's
/// (systemd sets INVOCATION_ID): under systemd, or redirected, the logs carry the progress.
final class ProgressLine: @unchecked Sendable {
    static let enabled = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["INVOCATION_ID"] == nil
    private static let lock = NSLock()
    private static var shown = false

    let total: Int

    init(total: Int) { self.total = total }

    /// For `styled run`: the one job's progress.
    func show(_ report: IterationReport) {
        guard report.iteration > 0 else { return }
        Self.draw(Self.text(iteration: report.iteration, total: total, loss: report.terms.total,
                            secondsPerIteration: report.seconds / Double(report.iteration)))
    }

    func finish() { Self.clear() }

    /// One job's part of the line.
    static func text(iteration: Int, total: Int, loss: Double?, secondsPerIteration: Double?) -> String {
        var parts = ["iteration \(iteration)/\(total)"]
        if let loss { parts.append(String(format: "loss %.4g", loss)) }
        if let secondsPerIteration {
            parts.append(String(format: "%.2f s/it", secondsPerIteration))
            parts.append("ETA " + duration(secondsPerIteration * Double(max(0, total - iteration))))
        }
        return parts.joined(separator: "  ")
    }

    /// Replaces the line on the terminal with `text`.
    static func draw(_ text: String) {
        guard enabled else { return }
        lock.withLock {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            shown = true
        }
    }

    /// Clears the line, so that a log line written next starts at the left edge.
    static func clear() {
        guard enabled else { return }
        lock.withLock {
            if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            shown = false
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

import Engine
import Foundation

/// A progress line on the terminal (iteration, loss, speed, ETA), redrawn in place; silent
/// when stderr is not a terminal (logs carry the progress there).
final class ProgressLine {
    let total: Int
    let enabled = isatty(STDERR_FILENO) == 1

    init(total: Int) { self.total = total }

    func show(_ report: IterationReport) {
        guard enabled, report.iteration > 0 else { return }
        let rate = Double(report.iteration) / max(report.seconds, 1e-9)
        let remaining = Double(total - report.iteration) / rate
        let line = String(format: "iteration %d/%d  loss %.4g  %.2f it/s  ETA %@", report.iteration, total, report.terms.total,
                          rate, Self.duration(remaining))
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

import Glibc
import Dispatch

// The engine parallelises itself: each worker unfolds and multiplies its own bands of rows
// (with OpenBLAS held to one thread), so no phase runs on one core while OpenBLAS's idle
// threads spin on the other. Elementwise passes are split the same way.
public enum Parallel {
    nonisolated(unsafe) private static var configuredWorkers: Int = {
        BLAS.setThreads(1)  // the workers are the parallelism; BLAS's own threads would oversubscribe
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// How many cores the engine uses (default: all online cores).
    public static var workers: Int { configuredWorkers }

    public static func setWorkers(_ count: Int) {
        configuredWorkers = max(1, count)
    }

    /// Runs `body(worker)` on every worker and waits.
    static func run(_ body: (Int) -> Void) {
        let workers = workers
        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
    }

    /// Splits 0..<count into one contiguous range per worker.
    static func forEachRange(_ count: Int, minimum: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        let parts = count < minimum ? 1 : workers
        if parts == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body(count * part / parts..<count * (part + 1) / parts)
        }
    }
}

import Engine
import Foundation

/// OpenBLAS picks its kernels when the process loads it, from a table of the processors its
/// version knows. Debian 12's 0.3.21 does not know newer ones (this project's 2-core Xeon,
/// family 6 model 207, among them) and falls back to its SSE3 ("Prescott") kernels, which run
/// the convolutions' sgemm about 2.5× slower than its AVX-512 ones. Its one way to be told is
/// OPENBLAS_CORETYPE, read as it loads, so a process that finds such a fallback on a CPU with
/// AVX2 or AVX-512 sets it and executes itself again, once, before any thread starts (the
/// process ID, and so systemd's view of the service, stays the same). A value the user set
/// is left alone.
public enum BLASKernels {
    /// Kernels at least as good as the best choice below, for the CPUs that have them.
    static let adequate: Set<String> = ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"]

    /// The OPENBLAS_CORETYPE for a CPU with these /proc/cpuinfo flags when OpenBLAS chose
    /// `chosen`, or nil to keep its choice.
    static func better(than chosen: String, flags: Set<String>) -> String? {
        guard !adequate.contains(chosen) else { return nil }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The flags of the first processor in /proc/cpuinfo (empty if it cannot be read).
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Executes this program again with better kernels if OpenBLAS fell back on weaker ones;
    /// returns if there is nothing better, the user chose, or the exec failed.
    public static func useTheBestForThisCPU() {
        guard getenv("OPENBLAS_CORETYPE") == nil, let kernels = better(than: BLAS.kernels, flags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", kernels, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // the exec failed: go on as loaded
    }
}

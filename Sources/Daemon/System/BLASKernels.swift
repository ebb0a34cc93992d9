import CSystem
import Engine
import Foundation

/// OpenBLAS picks its kernels when the process loads it, from a table of the processors its
/// version knows. Debian 12's 0.3.21 does not know newer ones (this project's 2-core Xeon,
/// family 6 model 207, among them) and falls back to its SSE3 ("Prescott") kernels, which run
/// the convolutions' sgemm about 2.5× slower than its AVX-512 ones. Its one way to be told is
/// OPENBLAS_CORETYPE, read as it loads, so a process that finds such a fallback on a CPU with
/// AVX2 or AVX-512 sets it and executes itself again, once, before it does anything else (the
/// process ID, and so systemd's view of the service, stays the same). The variable is then
/// removed again, so that what this process starts (a Slurm worker on another machine) chooses
/// for its own CPU. A value the user set stands.
public enum BLASKernels {
    /// Kernels at least as good as the best choice below, for the CPUs that have them.
    static let adequate: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]
    /// Marks OPENBLAS_CORETYPE as styled's own choice, for the program it executes.
    static let marker = "STYLED_CHOSE_OPENBLAS_CORETYPE"

    /// What the CPU offers that OpenBLAS has kernels for.
    enum Features { case avx512, avx2, older }

    static func cpuFeatures() -> Features {
        styled_cpu_has_avx512() != 0 ? .avx512 : styled_cpu_has_avx2() != 0 ? .avx2 : .older
    }

    /// The OPENBLAS_CORETYPE for a CPU with `features` when OpenBLAS chose `chosen`, or nil to
    /// keep its choice.
    static func better(than chosen: String, features: Features) -> String? {
        guard !adequate.contains(chosen.lowercased()) else { return nil }
        return switch features {
        case .avx512: "SkylakeX"
        case .avx2: "Haswell"
        case .older: nil
        }
    }

    /// Executes this program again with better kernels if OpenBLAS fell back on weaker ones
    /// (and can be told: a DYNAMIC_ARCH build); returns if there is nothing better, the user
    /// chose, the exec failed, or this is the program executed again.
    public static func useTheBestForThisCPU() {
        if getenv(marker) != nil {  // OpenBLAS has read it as it loaded
            unsetenv("OPENBLAS_CORETYPE")
            unsetenv(marker)
            return
        }
        guard getenv("OPENBLAS_CORETYPE") == nil, BLAS.configuration.contains("DYNAMIC_ARCH"),
              let kernels = better(than: BLAS.kernels, features: cpuFeatures()) else { return }
        setenv("OPENBLAS_CORETYPE", kernels, 1)
        setenv(marker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // the exec failed: go on as loaded
        unsetenv(marker)
    }
}

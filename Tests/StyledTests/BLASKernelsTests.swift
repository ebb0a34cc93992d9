@testable import Daemon
import Testing

@Suite struct BLASKernelsTests {
    static let avx512: Set = ["sse3", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"]

    /// OpenBLAS's fallback kernels give way to the best its table has for what the CPU can do;
    /// kernels that already use AVX2 or better, and CPUs without it, are left as they are.
    @Test func fallbackKernelsGiveWayOnlyWhereTheCPUHasBetter() {
        #expect(BLASKernels.better(than: "Prescott", flags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.better(than: "Prescott", flags: ["sse3", "avx", "avx2", "fma"]) == "Haswell")
        #expect(BLASKernels.better(than: "Sandybridge", flags: ["sse3", "avx", "avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASKernels.better(than: "Prescott", flags: ["sse3", "avx"]) == nil)
        #expect(BLASKernels.better(than: "Prescott", flags: []) == nil)
        #expect(BLASKernels.better(than: "Haswell", flags: Self.avx512) == nil)
        #expect(BLASKernels.better(than: "Zen", flags: ["avx2", "fma"]) == nil)
        #expect(BLASKernels.better(than: "SkylakeX", flags: Self.avx512) == nil)
    }

    @Test func theCPUsFlagsAreRead() {
        #expect(BLASKernels.cpuFlags().contains("sse2"), "every x86-64 CPU has SSE2")
    }
}

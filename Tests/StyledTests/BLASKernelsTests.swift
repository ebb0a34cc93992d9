@testable import Daemon
import Engine
import Foundation
import Testing

@Suite struct BLASKernelsTests {
    /// OpenBLAS's fallback kernels give way to the best its table has for what the CPU can do;
    /// kernels that already use AVX2 or better, and CPUs without it, are left as they are.
    @Test func fallbackKernelsGiveWayOnlyWhereTheCPUHasBetter() {
        #expect(BLASKernels.better(than: "Prescott", features: .avx512) == "SkylakeX")
        #expect(BLASKernels.better(than: "Prescott", features: .avx2) == "Haswell")
        #expect(BLASKernels.better(than: "Sandybridge", features: .avx2) == "Haswell")
        #expect(BLASKernels.better(than: "Prescott", features: .older) == nil)
        #expect(BLASKernels.better(than: "Haswell", features: .avx512) == nil)
        #expect(BLASKernels.better(than: "HASWELL", features: .avx512) == nil, "a build for one CPU names it in capitals")
        #expect(BLASKernels.better(than: "Zen", features: .avx2) == nil)
        #expect(BLASKernels.better(than: "SkylakeX", features: .avx512) == nil)
    }

    /// CPUID and the kernel's own account (/proc/cpuinfo, readable here though not in the unit) agree.
    @Test func theCPUsFeaturesAgreeWithTheKernels() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let expected: BLASKernels.Features = flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) ? .avx512
            : flags.isSuperset(of: ["avx2", "fma"]) ? .avx2 : .older
        #expect(BLASKernels.cpuFeatures() == expected)
    }
}

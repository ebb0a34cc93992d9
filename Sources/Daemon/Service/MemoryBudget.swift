import Foundation

/// The memory one render may use (`[limits] max_memory_gb`); Engine's `MemoryPlan` tiles each
/// render to stay within it. Without the setting: three quarters of this machine's memory (or
/// of the cgroup's limit, in a container or a systemd slice, where lower), shared by the renders
/// that run here at once; under Slurm, nine tenths of the `--mem` each job asks for, else three
/// quarters of the node's memory (a worker reads the configuration on its node).
enum MemoryBudget {
    static func bytes(configured gigabytes: Double?, rendersHere: Int, slurmMemory: String?) -> UInt64 {
        if let gigabytes { return UInt64(gigabytes * 1e9) }
        if let slurmMemory, let asked = slurmBytes(slurmMemory) { return asked / 10 * 9 }
        return physicalMemory() / 4 * 3 / UInt64(max(1, rendersHere))
    }

    static func physicalMemory() -> UInt64 {
        let machine = UInt64(max(0, sysconf(Int32(_SC_PHYS_PAGES)))) * UInt64(max(0, sysconf(Int32(_SC_PAGESIZE))))
        // cgroup v2: "max" or a byte count.
        let limit = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8))
            .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return min(machine, limit ?? .max)
    }

    /// Slurm's `--mem` syntax: a count with an optional unit K, M (the default), G or T.
    static func slurmBytes(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        let unit = text.last.flatMap { units[Character($0.uppercased())] }
        guard let count = UInt64(unit == nil ? text : String(text.dropLast())), count > 0 else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: unit ?? 1 << 20)
        return overflow ? nil : bytes
    }
}

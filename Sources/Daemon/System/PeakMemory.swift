import Glibc

/// The process's peak resident memory in bytes: getrusage's ru_maxrss (kilobytes on Linux),
/// the figure wait4 gives the parent.
func peakMemoryBytes() -> Int {
    var usage = rusage()
    return getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_maxrss * 1024 : 0
}

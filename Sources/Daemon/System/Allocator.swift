import CSystem

/// How this process's allocator treats freed memory: kept for the next evaluation while a
/// render runs, handed back to the kernel when it ends.
///
/// Why: each evaluation of the objective allocates its activations, gradients and Winograd
/// tiles afresh (about 1 GB at 512 px). glibc serves blocks over 32 MB (and every large block
/// of a thread's own arena) with mmap and returns them with munmap, so every evaluation paid
/// about 265,000 page faults, each a fresh page the kernel zeroes. From one heap, without
/// mmap and without trimming, a freed block is found again by the next evaluation, whose
/// sizes repeat exactly, so the heap stops growing after the first. A pool of tensors in the
/// engine would do the same with more code in every layer.
public enum Allocator {
    /// Called once, as the program starts. (`M_TRIM_THRESHOLD` is an int: past 2 GiB free at
    /// the heap's top, glibc trims it anyway, so the largest renders keep less.)
    public static func keepFreedMemory() {
        mallopt(M_ARENA_MAX, 1)  // threads' own arenas map large blocks whatever M_MMAP_MAX says
        mallopt(M_MMAP_MAX, 0)
        mallopt(M_TRIM_THRESHOLD, Int32.max)
    }

    /// Gives the kernel back the free memory of the heap, whole pages of it, wherever it lies:
    /// between a render's scales (its memory plan counts one scale at a time) and after it (so
    /// that an idle daemon does not keep its largest job's memory).
    static func returnFreedMemory() {
        malloc_trim(0)
    }
}

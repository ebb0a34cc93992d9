// The styled command: every subcommand lives in the Daemon library.
import Daemon

// The image decoder's sandboxed child uses no BLAS, and its address-space limit counts on its
// large blocks being unmapped when freed: it starts as it is.
if CommandLine.arguments.dropFirst().first != "decode" {
    BLASKernels.useTheBestForThisCPU()
    Allocator.keepFreedMemory()
}
Styled.main()

// The styled command: every subcommand lives in the Daemon library.
import Daemon

BLASKernels.useTheBestForThisCPU()
Allocator.keepFreedMemory()
Styled.main()

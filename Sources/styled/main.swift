// The styled command: every subcommand lives in the Daemon library.
import Daemon

Allocator.keepFreedMemory()
Styled.main()

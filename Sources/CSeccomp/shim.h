// libseccomp, and the few process calls around it that Swift cannot reach: `styled decode`
// sandboxes itself with them and the daemon spawns it (Sources/Daemon/Commands/DecodeCommand.swift,
// Sources/Daemon/Jobs/SandboxedDecoder.swift).
#pragma once
#include <seccomp.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <linux/memfd.h>

// prctl is variadic, which Swift does not import. Not dumpable: no core file of an image that
// someone dropped, from the process that failed on it, and no ptrace of it.
static inline int styled_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

// glibc declares these only with _GNU_SOURCE, which Swift's Glibc module is built without.
int memfd_create(const char *name, unsigned int flags);
int pipe2(int fds[2], int flags);
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

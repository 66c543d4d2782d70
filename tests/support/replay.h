/*
 * Exactly once across a crash, for one event: the event is applied in a
 * child process on top of the crash VFS (tests/support/crash_vfs.h), which
 * cuts the power at its 1st, 2nd, … write or sync; after every cut the
 * parent opens the database as it survived, delivers the same event again
 * (the platform redelivers what it was not told was stored) and runs the
 * caller's check.  Rounds go on until the child gets through unharmed.
 */
#ifndef KB_TESTS_REPLAY_H
#define KB_TESTS_REPLAY_H

#include <stddef.h>

#include "fixture.h"

/* 0 when the check held after every cut (*rounds = how many cuts); else the
   cut's number, with the check's words in why. */
long crash_replay(struct fx *f, const struct kb_event *ev, int (*check)(struct fx *f, char *why, size_t cap),
                  char *why, size_t cap, long *rounds);

#endif

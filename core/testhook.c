/* The test builds' kill switch inside the apply phase; see testhook.h. */
#include "testhook.h"

#ifdef KB_TEST_HOOKS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void testhook_event_applied(void)
{
    static long left = -1; /* -1: not read yet, 0: off */
    if (left < 0) {
        const char *v = getenv("KOCBOT_TEST_KILL_AFTER_EVENTS");
        left = v ? strtol(v, NULL, 10) : 0;
        if (left < 0)
            left = 0;
    }
    if (left == 0 || --left > 0)
        return;
    static const char msg[] = "test hook: SIGKILL inside the apply transaction\n";
    if (write(2, msg, sizeof msg - 1) < 0) { /* the marker is best effort */
    }
    raise(SIGKILL);
}
#else
typedef int testhook_unused; /* ISO C wants something in a translation unit */
#endif

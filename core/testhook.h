/*
 * Test builds only (compiled with -DKB_TEST_HOOKS: every variant but
 * release).  With KOCBOT_TEST_KILL_AFTER_EVENTS=N in the environment the
 * process kills itself with SIGKILL right after the N-th event it applied,
 * inside that batch's transaction and before its commit, so the crash suite
 * can land in the apply phase at will instead of by luck.
 */
#ifndef KB_CORE_TESTHOOK_H
#define KB_CORE_TESTHOOK_H

#ifdef KB_TEST_HOOKS
void testhook_event_applied(void);
#define TESTHOOK_EVENT_APPLIED() testhook_event_applied()
#else
#define TESTHOOK_EVENT_APPLIED() ((void)0)
#endif

#endif

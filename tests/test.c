/* The harness runner behind TEST_MAIN (see test.h). */
#include "test.h"

int test_run_all(const char *file, const struct test_case *cases, size_t n)
{
    const char *only = getenv("TEST_ONLY");
    /* volatile: kept across the longjmp out of a failed test */
    volatile int passed = 0, failed = 0;
    for (volatile size_t i = 0; i < n; i++) {
        if (only && strcmp(only, cases[i].name) != 0)
            continue;
        test_failed = 0;
        if (setjmp(test_jump) == 0)
            cases[i].fn();
        if (test_failed) {
            failed++;
            printf("not ok %s %s\n", file, cases[i].name);
        } else {
            passed++;
            printf("ok %s %s\n", file, cases[i].name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

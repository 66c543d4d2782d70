/*
 * A deliberately small unit-test harness.  A test file defines functions
 * with TEST(name), lists them in TEST_MAIN(...), and the binary prints one
 * "ok"/"not ok" line per test and a last line "N passed, N failed"
 * (tests/run.sh adds these up across binaries).  A failed CHECK ends the
 * current test only.  Each binary runs under `timeout` from the runner.
 */
#ifndef KB_TESTS_TEST_H
#define KB_TESTS_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

extern jmp_buf test_jump;
extern int test_failed;

#define TEST(name) static void name(void)

#define TEST_FAIL(...)                                                  \
    do {                                                                \
        fprintf(stdout, "    %s:%d: ", __FILE__, __LINE__);            \
        fprintf(stdout, __VA_ARGS__);                                   \
        fputc('\n', stdout);                                            \
        test_failed = 1;                                                \
        longjmp(test_jump, 1);                                          \
    } while (0)

#define CHECK(cond)                                                     \
    do { if (!(cond)) TEST_FAIL("CHECK(%s) failed", #cond); } while (0)

#define CHECK_INT(a, b)                                                 \
    do {                                                                \
        long long va_ = (long long)(a), vb_ = (long long)(b);           \
        if (va_ != vb_)                                                 \
            TEST_FAIL("%s == %lld, expected %s == %lld", #a, va_, #b, vb_); \
    } while (0)

#define CHECK_STR(a, b)                                                 \
    do {                                                                \
        const char *sa_ = (a), *sb_ = (b);                              \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                      \
            TEST_FAIL("%s == \"%s\", expected \"%s\"", #a,              \
                      sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");      \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                     \
    do {                                                                \
        const char *h_ = (hay), *n_ = (needle);                         \
        if (!h_ || !strstr(h_, n_))                                     \
            TEST_FAIL("%s == \"%s\" lacks \"%s\"", #hay, h_ ? h_ : "(null)", n_); \
    } while (0)

int test_run_all(const char *file, const struct test_case *cases, size_t n);

#define T(fn) {#fn, fn}
#define TEST_MAIN(...)                                                  \
    jmp_buf test_jump;                                                  \
    int test_failed;                                                    \
    int main(void)                                                      \
    {                                                                   \
        static const struct test_case cases_[] = {__VA_ARGS__};         \
        return test_run_all(__FILE__, cases_, sizeof cases_ / sizeof cases_[0]); \
    }

#endif

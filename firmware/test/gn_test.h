/* gn_test.h - the core's unit-test runner: a few macros, no dependencies beyond stdio.
 *
 * Each test_<stage>.c has its own main() that runs GN_RUN(test_fn) per case and returns
 * gn_test_finish(): the number of failed checks (0 = pass). The same programs run on the host
 * (under AddressSanitizer/UBSan) and on QEMU mps2-an386 (Cortex-M4, semihosting: printf goes to
 * the host console, main's return value becomes QEMU's exit code).
 */
#ifndef GN_TEST_H
#define GN_TEST_H

#include <math.h>
#include <stdio.h>

static int gn_test_failures = 0;
static int gn_test_checks = 0;
static const char *gn_test_current = "";

#define GN_CHECK(cond)                                                                  \
    do {                                                                                \
        ++gn_test_checks;                                                               \
        if (!(cond)) {                                                                  \
            ++gn_test_failures;                                                         \
            printf("FAIL %s:%d in %s: %s\n", __FILE__, __LINE__, gn_test_current, #cond); \
        }                                                                               \
    } while (0)

#define GN_CHECK_EQ_INT(a, b)                                                                   \
    do {                                                                                        \
        long long gn_a_ = (long long)(a), gn_b_ = (long long)(b);                               \
        ++gn_test_checks;                                                                       \
        if (gn_a_ != gn_b_) {                                                                   \
            ++gn_test_failures;                                                                 \
            printf("FAIL %s:%d in %s: %s == %s (%lld != %lld)\n", __FILE__, __LINE__,           \
                   gn_test_current, #a, #b, gn_a_, gn_b_);                                      \
        }                                                                                       \
    } while (0)

#define GN_CHECK_NEAR(a, b, tol)                                                                \
    do {                                                                                        \
        double gn_a_ = (double)(a), gn_b_ = (double)(b);                                        \
        ++gn_test_checks;                                                                       \
        if (!(fabs(gn_a_ - gn_b_) <= (double)(tol))) {                                          \
            ++gn_test_failures;                                                                 \
            printf("FAIL %s:%d in %s: %s ~ %s (%.9g vs %.9g, tol %g)\n", __FILE__, __LINE__,    \
                   gn_test_current, #a, #b, gn_a_, gn_b_, (double)(tol));                       \
        }                                                                                       \
    } while (0)

#define GN_RUN(fn)              \
    do {                        \
        gn_test_current = #fn;  \
        fn();                   \
    } while (0)

/* Print the summary line and return the number of failed checks (main's exit code). */
static inline int gn_test_finish(const char *suite)
{
    printf("%s: %d checks, %d failed\n", suite, gn_test_checks, gn_test_failures);
    return gn_test_failures > 255 ? 255 : gn_test_failures;
}

#endif /* GN_TEST_H */

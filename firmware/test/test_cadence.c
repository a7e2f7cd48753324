/* test_cadence.c - stride time and cadence from heel strikes (gn_cadence). */
#include <math.h>
#include <stdint.h>

#include "gn_cadence.h"
#include "gn_test.h"

static gn_cadence cad;

static void init_default(void)
{
    gn_cadence_params p;
    gn_cadence_default_params(&p);
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &p), 0);
}

static void test_nothing_before_two_heel_strikes(void)
{
    float s = -1.0f, c = -1.0f;
    init_default();
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 0);
    gn_cadence_push(&cad, 100u, 0.0f);
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 0);
    gn_cadence_push(&cad, 210u, 0.25f); /* 110.25 samples = 1.1025 s */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 1.1025, 1e-5);
    GN_CHECK_NEAR(c, 120.0 / 1.1025, 1e-3);
}

static void test_median_of_the_last_strides(void)
{
    /* strides (samples): 100, 104, 96, 150 (an outlier inside the bounds), 102, 98 */
    static const uint32_t steps[] = {100u, 104u, 96u, 150u, 102u, 98u};
    uint32_t idx = 1000u, k;
    float s, c;
    init_default();
    gn_cadence_push(&cad, idx, 0.0f);
    for (k = 0u; k < 5u; ++k) {
        idx += steps[k];
        gn_cadence_push(&cad, idx, 0.0f);
    }
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 1.02, 1e-5); /* median of 100, 104, 96, 150, 102: the outlier does not move it */
    GN_CHECK_NEAR(c, 120.0 / 1.02, 1e-3);
    idx += steps[5];
    gn_cadence_push(&cad, idx, 0.0f); /* the oldest (100) leaves: 104, 96, 150, 102, 98 */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 1.02, 1e-5);
    /* an even count takes the mean of the middle two */
    init_default();
    gn_cadence_push(&cad, 0u, 0.0f);
    gn_cadence_push(&cad, 100u, 0.0f);
    gn_cadence_push(&cad, 210u, 0.0f);
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 1.05, 1e-5);
}

static void test_out_of_range_intervals_restart_the_history(void)
{
    float s, c;
    init_default();
    gn_cadence_push(&cad, 0u, 0.0f);
    gn_cadence_push(&cad, 100u, 0.0f);
    gn_cadence_push(&cad, 120u, 0.0f); /* 0.2 s: an extra event, not a stride */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 0);
    gn_cadence_push(&cad, 230u, 0.0f);
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 1.10, 1e-5);
    gn_cadence_push(&cad, 600u, 0.0f); /* 3.7 s: a stop */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 0);
    gn_cadence_push(&cad, 700u, 0.0f);
    GN_CHECK_NEAR(s, 1.10, 1e-5); /* untouched by the failed get */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 1.00, 1e-5);
    gn_cadence_push(&cad, 50u, 0.0f); /* backwards (a new stream): not a stride */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 0);
    gn_cadence_reset(&cad);
    gn_cadence_push(&cad, 150u, 0.0f); /* after a reset the first event only sets the reference */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 0);
}

static void test_exact_after_hours_of_stream(void)
{
    /* indices near 2^32: the interval is formed in integers, so the fraction survives */
    float s, c;
    const uint32_t base = UINT32_MAX - 50u;
    init_default();
    gn_cadence_push(&cad, base, 0.3f);
    gn_cadence_push(&cad, base + 100u, -0.2f); /* wraps past 2^32: 99.5 samples */
    GN_CHECK_EQ_INT(gn_cadence_get(&cad, &s, &c), 1);
    GN_CHECK_NEAR(s, 0.995, 1e-6);
}

static void test_params_are_checked(void)
{
    gn_cadence_params p, q;
    gn_cadence_default_params(&p);
    GN_CHECK_EQ_INT(p.n_strides, 5);
    q = p;
    q.n_strides = 0u;
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &q), 1);
    q.n_strides = GN_CADENCE_MAX_STRIDES + 1u;
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &q), 1);
    q = p;
    q.min_stride_s = 3.0f;
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &q), 2);
    q = p;
    q.min_stride_s = 0.0f;
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &q), 2);
    q = p;
    q.rate_hz = 0.0f;
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &q), 3);
    q = p;
    q.n_strides = GN_CADENCE_MAX_STRIDES;
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &q), 0);
}

static void test_stride_at_an_index_knows_when_the_leg_stopped(void)
{
    float s = 0.0f;
    init_default();
    GN_CHECK_EQ_INT(gn_cadence_stride_at(&cad, 0u, &s), 0);
    gn_cadence_push(&cad, 100u, 0.0f);
    GN_CHECK_EQ_INT(gn_cadence_stride_at(&cad, 120u, &s), 0); /* one heel strike: no stride */
    gn_cadence_push(&cad, 220u, 0.0f);
    GN_CHECK_EQ_INT(gn_cadence_stride_at(&cad, 470u, &s), 1); /* 2.5 s after the last: still walking */
    GN_CHECK_NEAR(s, 1.2, 1e-6);
    GN_CHECK_EQ_INT(gn_cadence_stride_at(&cad, 471u, &s), 0); /* longer than any stride: stopped */
    GN_CHECK_EQ_INT(gn_cadence_stride_at(&cad, 200u, &s), 1); /* a query before the event's index */
    GN_CHECK_EQ_INT(gn_cadence_size(), sizeof(gn_cadence));
}

int main(void)
{
    GN_RUN(test_nothing_before_two_heel_strikes);
    GN_RUN(test_median_of_the_last_strides);
    GN_RUN(test_out_of_range_intervals_restart_the_history);
    GN_RUN(test_exact_after_hours_of_stream);
    GN_RUN(test_params_are_checked);
    GN_RUN(test_stride_at_an_index_knows_when_the_leg_stopped);
    return gn_test_finish("cadence");
}

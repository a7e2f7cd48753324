/* test_gyro_hs.c - the classical gyro heel-strike detector (gn_gyro_hs) on a synthetic shank rate. */
#include <math.h>
#include <stdint.h>

#include "gn_gyro_hs.h"
#include "gn_test.h"

enum { PERIOD = 110, STRIDES = 20, N = PERIOD * STRIDES, MAX_EV = 64 };
#define PEAK_AT 70.0f  /* mid-swing peak, samples into the stride */
#define HS_AT 92.0f    /* heel-strike dip */

static float gyr[N * 3];
static gn_hs_event ev[MAX_EV];
static gn_gyro_hs_state gs;

static float bump(float x, float centre, float width)
{
    const float z = (x - centre) / width;
    return expf(-0.5f * z * z);
}

/* Sagittal rate (deg/s) at phase ph (samples into a stride): a negative toe-off dip, the mid-swing
 * peak, then the heel-strike dip. */
static float sagittal(float ph)
{
    return -90.0f * bump(ph, 40.0f, 6.0f) + 350.0f * bump(ph, PEAK_AT, 8.0f) - 150.0f * bump(ph, HS_AT, 3.0f);
}

/* The rate about axis a = sign * unit(0.2, 0.9, -0.3), plus a smaller out-of-plane wobble and noise. */
static void make_signal(float sign, float amplitude)
{
    const float n = sqrtf(0.04f + 0.81f + 0.09f);
    const float a[3] = {0.2f / n, 0.9f / n, -0.3f / n};
    const float b[3] = {0.0f, 0.3f / sqrtf(0.9f), 0.9f / sqrtf(0.9f)}; /* perpendicular to a */
    uint32_t seed = 1u;
    int i, k;
    for (i = 0; i < N; ++i) {
        const float ph = (float)(i % PERIOD);
        const float w = amplitude * sagittal(ph);
        const float off = amplitude * 25.0f * sinf(6.2831853f * ph / (float)PERIOD);
        for (k = 0; k < 3; ++k) {
            seed = seed * 1664525u + 1013904223u;
            gyr[3 * i + k] = sign * w * a[k] + off * b[k] + 2.0f * ((float)(seed >> 8) / 8388608.0f - 1.0f);
        }
    }
}

static uint32_t detect(void)
{
    gn_gyro_hs_params p;
    gn_gyro_hs_default_params(&p, GN_PLACEMENT_SHANK);
    GN_CHECK_EQ_INT(gn_gyro_hs_init(&gs, &p), 0);
    return gn_gyro_hs_run(&gs, gyr, NULL, N, ev, MAX_EV);
}

/* Checks that every event is a heel-strike dip, once per stride, and returns how many strides got one. */
static uint32_t check_events(uint32_t n_ev)
{
    uint32_t k, stride, prev_stride = 0u, bad = 0u;
    for (k = 0u; k < n_ev && k < MAX_EV; ++k) {
        const float t = (float)ev[k].index + ev[k].frac;
        stride = ev[k].index / PERIOD;
        /* the dip's minimum sits a fraction of a sample before HS_AT (the swing peak's tail slopes down) */
        bad += fabsf(t - ((float)(stride * PERIOD) + HS_AT)) > 0.5f;
        bad += (k > 0u && stride != prev_stride + 1u); /* one per stride, none missed after the first */
        bad += ev[k].value >= 0.0f;                     /* a negative rate */
        prev_stride = stride;
    }
    GN_CHECK_EQ_INT(bad, 0);
    return n_ev;
}

static void test_finds_the_heel_strikes_of_a_periodic_gait(void)
{
    uint32_t n_ev;
    make_signal(1.0f, 1.0f);
    n_ev = detect();
    GN_CHECK(gn_gyro_hs_settled(&gs));
    GN_CHECK_EQ_INT(check_events(n_ev), STRIDES - 2); /* the first two strides settle the axis */
}

static void test_the_axis_sign_does_not_matter(void)
{
    uint32_t n_ev;
    make_signal(-1.0f, 1.0f); /* the node turned 180 degrees about the limb */
    n_ev = detect();
    GN_CHECK_EQ_INT(check_events(n_ev), STRIDES - 2);
}

static void test_no_events_while_still_or_slow(void)
{
    make_signal(1.0f, 0.0f); /* only noise (2 deg/s) */
    GN_CHECK_EQ_INT(detect(), 0);
    GN_CHECK(!gn_gyro_hs_settled(&gs));
    make_signal(1.0f, 0.1f); /* a 35 deg/s "swing": below the 60 deg/s peak floor */
    GN_CHECK_EQ_INT(detect(), 0);
}

static void test_a_gap_cancels_the_search_in_progress(void)
{
    uint32_t n_ev, k, hit = 0u;
    const uint32_t gap_stride = 10u;
    make_signal(1.0f, 1.0f);
    /* one missing sample between the peak and the dip of stride 10 */
    for (k = 0u; k < 3u; ++k) {
        gyr[3u * (gap_stride * PERIOD + 85u) + k] = NAN;
    }
    n_ev = detect();
    GN_CHECK_EQ_INT(n_ev, STRIDES - 3);
    for (k = 0u; k < n_ev && k < MAX_EV; ++k) {
        hit += ev[k].index / PERIOD == gap_stride;
    }
    GN_CHECK_EQ_INT(hit, 0);
}

static void test_params_are_checked(void)
{
    gn_gyro_hs_params p, q;
    gn_gyro_hs_default_params(&p, GN_PLACEMENT_FOOT);
    GN_CHECK_EQ_INT(gn_gyro_hs_check_params(&p), 0);
    q = p;
    q.placement = 7;
    GN_CHECK_EQ_INT(gn_gyro_hs_check_params(&q), 1);
    q = p;
    q.rate_hz = 5.0f;
    GN_CHECK_EQ_INT(gn_gyro_hs_init(&gs, &q), 2);
    q = p;
    q.min_peak_dps = 1.0f; /* below still_dps */
    GN_CHECK_EQ_INT(gn_gyro_hs_check_params(&q), 7);
    q = p;
    q.refractory_s = NAN;
    GN_CHECK_EQ_INT(gn_gyro_hs_check_params(&q), 11);
}

int main(void)
{
    GN_RUN(test_finds_the_heel_strikes_of_a_periodic_gait);
    GN_RUN(test_the_axis_sign_does_not_matter);
    GN_RUN(test_no_events_while_still_or_slow);
    GN_RUN(test_a_gap_cancels_the_search_in_progress);
    GN_RUN(test_params_are_checked);
    return gn_test_finish("gyro_hs");
}

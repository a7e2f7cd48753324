/* test_hs_picker.c - heel-strike events from the per-sample probability (gn_hs_picker). */
#include <math.h>
#include <stdint.h>

#include "gn_hs_picker.h"
#include "gn_test.h"

enum { N = 400 };
static float p[N];
static gn_hs_picker_state ps;

static void init_default(uint32_t min_interval)
{
    gn_hs_picker_params pk;
    gn_hs_picker_default_params(&pk);
    pk.min_interval = min_interval;
    GN_CHECK_EQ_INT(gn_hs_picker_init(&ps, &pk), 0);
}

static void clear(void)
{
    int i;
    for (i = 0; i < N; ++i) {
        p[i] = 0.05f;
    }
}

/* A crest: p = top - slope * |i - centre| where that is above 0.05. */
static void crest(float centre, float top, float slope)
{
    int i;
    for (i = 0; i < N; ++i) {
        const float v = top - slope * fabsf((float)i - centre);
        if (v > p[i]) {
            p[i] = v;
        }
    }
}

static uint32_t run(gn_hs_event *ev, uint32_t max_events)
{
    return gn_hs_picker_run(&ps, p, N, 1, ev, max_events);
}

static void test_centroid_of_the_crest(void)
{
    gn_hs_event ev[4];
    clear();
    crest(100.0f, 0.9f, 0.1f); /* symmetric: the centre */
    crest(200.3f, 0.9f, 0.1f); /* off-grid: the centroid of the sampled crest */
    init_default(35u);
    GN_CHECK_EQ_INT(run(ev, 4u), 2);
    GN_CHECK_EQ_INT(ev[0].index, 100);
    GN_CHECK_NEAR(ev[0].frac, 0.0, 1e-5);
    GN_CHECK_NEAR(ev[0].value, 0.9, 1e-6);
    {
        /* centroid over the samples >= threshold, computed here in double */
        double sw = 0.0, swi = 0.0;
        int i;
        for (i = 0; i < N; ++i) {
            if (i > 150 && p[i] >= 0.5f) {
                sw += (double)p[i];
                swi += (double)p[i] * i;
            }
        }
        GN_CHECK_EQ_INT(ev[1].index, (uint32_t)floor(swi / sw + 0.5));
        GN_CHECK_NEAR(ev[1].index + ev[1].frac, swi / sw, 1e-4);
        GN_CHECK(ev[1].frac >= -0.5f && ev[1].frac <= 0.5f);
    }
}

static void test_hysteresis_keeps_a_noisy_crest_in_one_region(void)
{
    gn_hs_event ev[4];
    clear();
    /* a plateau whose middle dips to 0.45: below the threshold, above the release (0.4) */
    p[50] = 0.6f;
    p[51] = 0.7f;
    p[52] = 0.45f;
    p[53] = 0.7f;
    p[54] = 0.6f;
    init_default(1u);
    GN_CHECK_EQ_INT(run(ev, 4u), 1);
    GN_CHECK_EQ_INT(ev[0].index, 52); /* symmetric crest: the dip does not count, the centre stays */
    GN_CHECK_NEAR(ev[0].frac, 0.0, 1e-6);
    /* a dip below the release splits it in two */
    p[52] = 0.35f;
    init_default(1u);
    GN_CHECK_EQ_INT(run(ev, 4u), 2);
    GN_CHECK_EQ_INT(ev[0].index, 51);
    GN_CHECK_NEAR(ev[0].index + ev[0].frac, 50.0 + 0.7 / 1.3, 1e-5); /* centroid of 50..51 */
    GN_CHECK_EQ_INT(ev[1].index, 53);
    /* values between release and threshold alone never start a region */
    clear();
    p[80] = 0.49f;
    init_default(1u);
    GN_CHECK_EQ_INT(run(ev, 4u), 0);
}

static void test_refractory_keeps_the_earlier_event(void)
{
    gn_hs_event ev[4];
    clear();
    crest(100.0f, 0.9f, 0.1f);
    crest(130.0f, 0.95f, 0.1f); /* 30 samples later: inside a 35-sample refractory interval */
    crest(170.0f, 0.9f, 0.1f);  /* 70 after the first: kept */
    init_default(35u);
    GN_CHECK_EQ_INT(run(ev, 4u), 2);
    GN_CHECK_EQ_INT(ev[0].index, 100);
    GN_CHECK_EQ_INT(ev[1].index, 170);
    /* with a shorter interval all three come out */
    init_default(30u);
    GN_CHECK_EQ_INT(run(ev, 4u), 3);
    GN_CHECK_EQ_INT(ev[1].index, 130);
}

static void test_nan_ends_a_region_and_flush_closes_the_last(void)
{
    gn_hs_event ev;
    int i, got = 0;
    init_default(1u);
    for (i = 0; i < 10; ++i) {
        got += gn_hs_picker_push(&ps, i >= 3 ? 0.8f : 0.0f, &ev);
    }
    GN_CHECK_EQ_INT(got, 0);
    GN_CHECK_EQ_INT(gn_hs_picker_push(&ps, NAN, &ev), 1); /* no model output: the region ends */
    GN_CHECK_NEAR(ev.index + ev.frac, 6.0, 1e-5);         /* centre of 3..9 */
    for (i = 0; i < 4; ++i) {
        got += gn_hs_picker_push(&ps, 0.9f, &ev);
    }
    GN_CHECK_EQ_INT(got, 0);
    GN_CHECK_EQ_INT(gn_hs_picker_flush(&ps, &ev), 1);
    GN_CHECK_NEAR(ev.index + ev.frac, 12.5, 1e-5); /* samples 11..14 */
    GN_CHECK_EQ_INT(ev.index, 12);                 /* nearest sample, the rest in frac (+0.5) */
    GN_CHECK_NEAR(ev.frac, 0.5, 1e-6);
    GN_CHECK_EQ_INT(gn_hs_picker_flush(&ps, &ev), 0); /* nothing left open */
    GN_CHECK_EQ_INT(ps.n, 15);
}

static void test_params_are_checked(void)
{
    gn_hs_picker_params pk, q;
    gn_hs_picker_default_params(&pk);
    GN_CHECK_NEAR(pk.threshold, 0.5, 0.0);
    GN_CHECK_NEAR(pk.release, 0.4, 1e-7);
    GN_CHECK_EQ_INT(pk.min_interval, 35);
    GN_CHECK_EQ_INT(gn_hs_picker_check_params(&pk), 0);
    q = pk;
    q.threshold = 0.0f;
    GN_CHECK_EQ_INT(gn_hs_picker_check_params(&q), 1);
    q.threshold = 1.01f;
    GN_CHECK_EQ_INT(gn_hs_picker_init(&ps, &q), 1);
    q = pk;
    q.release = 0.6f;
    GN_CHECK_EQ_INT(gn_hs_picker_check_params(&q), 2);
    q.release = NAN;
    GN_CHECK_EQ_INT(gn_hs_picker_check_params(&q), 2);
    GN_CHECK(gn_hs_picker_state_size() == sizeof(gn_hs_picker_state));
}

static void test_seek_closes_the_open_crest_and_continues_at_the_new_index(void)
{
    gn_hs_event ev;
    init_default(35);
    GN_CHECK_EQ_INT(gn_hs_picker_push(&ps, 0.1f, &ev), 0);     /* sample 0 */
    GN_CHECK_EQ_INT(gn_hs_picker_push(&ps, 0.9f, &ev), 0);     /* sample 1: a crest opens */
    GN_CHECK_EQ_INT(gn_hs_picker_seek(&ps, 100u, &ev), 1);      /* gap: the crest becomes an event */
    GN_CHECK_EQ_INT(ev.index, 1);
    GN_CHECK_EQ_INT(gn_hs_picker_seek(&ps, 100u, &ev), 0);      /* nothing open any more */
    GN_CHECK_EQ_INT(gn_hs_picker_push(&ps, 0.9f, &ev), 0);     /* sample 100 */
    GN_CHECK_EQ_INT(gn_hs_picker_push(&ps, 0.1f, &ev), 1);     /* sample 101 ends it */
    GN_CHECK_EQ_INT(ev.index, 100);
    init_default(35);
    (void)gn_hs_picker_push(&ps, 0.9f, &ev);
    GN_CHECK_EQ_INT(gn_hs_picker_seek(&ps, 10u, &ev), 1);       /* event at 0 */
    (void)gn_hs_picker_push(&ps, 0.9f, &ev);                    /* sample 10 */
    GN_CHECK_EQ_INT(gn_hs_picker_push(&ps, 0.1f, &ev), 0);     /* 10 < 35 after it: refractory kept */
}

int main(void)
{
    GN_RUN(test_centroid_of_the_crest);
    GN_RUN(test_hysteresis_keeps_a_noisy_crest_in_one_region);
    GN_RUN(test_refractory_keeps_the_earlier_event);
    GN_RUN(test_nan_ends_a_region_and_flush_closes_the_last);
    GN_RUN(test_params_are_checked);
    GN_RUN(test_seek_closes_the_open_crest_and_continues_at_the_new_index);
    return gn_test_finish("hs_picker");
}

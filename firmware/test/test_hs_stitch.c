/* test_hs_stitch.c - model output windows -> per-sample probabilities -> events (gn_hs_stitch). */
#include <math.h>
#include <stdint.h>

#include "gn_hs_stitch.h"
#include "gn_test.h"

enum { W = 16, HOP = 4, DELAY = 3, N_TRACE = 1024 };
#define SCALE (1.0f / 256.0f)
#define ZP (-128)
#define POISON 127 /* outputs the stitcher must not use: p ~ 1 would show in the trace and as events */

static gn_hs_stitch st;
static float trace[N_TRACE];
static int8_t out[W];

/* Crest centres (stream samples) of the synthetic heel-strike probability. */
static const uint32_t crests[] = {20u, 61u, 140u, 175u};

/* The int8 output for stream sample i: a slow ramp below the release level, and triangular
 * crests (p 0.9 at the centre, above the threshold over +-3 samples). */
static int8_t enc(uint32_t i)
{
    size_t c;
    for (c = 0; c < sizeof crests / sizeof crests[0]; ++c) {
        const uint32_t d = i > crests[c] ? i - crests[c] : crests[c] - i;
        if (d <= 4u) {
            return (int8_t)(ZP + (int32_t)(230u - 25u * d)); /* 230/256 = 0.898 at the centre */
        }
    }
    return (int8_t)(ZP + (int32_t)(i % 90u)); /* p < 0.352 */
}

static float dequant(int8_t q)
{
    return (float)((int32_t)q - ZP) * SCALE;
}

/* The outputs of the window starting at `start`; `first`: it begins a stream (outputs from
 * DELAY on are used), else only the newest HOP outputs are. The rest is poisoned. */
static void make_window(uint32_t start, int first)
{
    const uint32_t j0 = first ? DELAY : W - HOP;
    uint32_t j;
    for (j = 0u; j < W; ++j) {
        out[j] = (j >= j0) ? enc(start + j - DELAY) : (int8_t)POISON;
    }
}

static void init_stitch(void)
{
    gn_hs_stitch_params p;
    gn_hs_picker_params pk;
    p.window = W;
    p.hop = HOP;
    p.output_delay = DELAY;
    p.out_scale = SCALE;
    p.out_zero_point = ZP;
    gn_hs_picker_default_params(&pk);
    pk.min_interval = 20u;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &p, &pk), 0);
    gn_hs_stitch_set_trace(&st, trace, N_TRACE);
}

static void test_one_probability_per_sample_in_order(void)
{
    gn_hs_event ev[8];
    uint32_t k, i, bad = 0u, n_ev = 0u;
    init_stitch();
    for (k = 0u; k < 50u; ++k) {
        make_window(k * HOP, k == 0u);
        n_ev += gn_hs_stitch_window(&st, k * HOP, out, ev, 8u);
        /* after window k the picker has had samples [0, k*HOP + W - DELAY) */
        bad += st.trace_len != k * HOP + W - DELAY;
        bad += st.picker.n != k * HOP + W - DELAY;
    }
    GN_CHECK_EQ_INT(bad, 0);
    for (i = 0u; i < st.trace_len; ++i) {
        bad += trace[i] != dequant(enc(i));
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(n_ev, 4);
}

static void test_events_land_on_the_crest_centres(void)
{
    gn_hs_event ev[8], all[8], last;
    uint32_t k, n = 0u, got, c;
    init_stitch();
    for (k = 0u; k < 50u; ++k) {
        make_window(k * HOP, k == 0u);
        got = gn_hs_stitch_window(&st, k * HOP, out, ev, 8u);
        for (c = 0u; c < got && n < 8u; ++c) {
            all[n++] = ev[c];
        }
    }
    GN_CHECK_EQ_INT(gn_hs_stitch_flush(&st, &last), 0); /* nothing open at the end */
    GN_CHECK_EQ_INT(n, 4);
    for (c = 0u; c < n && c < 4u; ++c) {
        GN_CHECK_EQ_INT(all[c].index, crests[c]); /* symmetric crests: their centre, no fraction */
        GN_CHECK_NEAR(all[c].frac, 0.0, 1e-6);
        GN_CHECK_NEAR(all[c].value, 230.0 / 256.0, 1e-6);
    }
}

static void test_a_gap_restarts_at_the_window_start(void)
{
    gn_hs_event ev[8];
    uint32_t k, got, i, bad = 0u, n_before;
    init_stitch();
    /* windows 0..3 cover samples [0, 25), which ends inside the crest at 20 (open region) */
    for (k = 0u; k < 3u; ++k) {
        make_window(k * HOP, k == 0u);
        GN_CHECK_EQ_INT(gn_hs_stitch_window(&st, k * HOP, out, ev, 8u), 0);
    }
    GN_CHECK_EQ_INT(st.picker.n, 21); /* the crest at 20 is open: 17..20 pushed */
    n_before = st.trace_len;
    /* the next window starts at 132 (samples missing): it is used like a first window */
    make_window(132u, 1);
    got = gn_hs_stitch_window(&st, 132u, out, ev, 8u);
    GN_CHECK_EQ_INT(got, 1); /* the open crest was flushed: its centroid over 16..20 */
    GN_CHECK_EQ_INT(ev[0].index, 18);
    GN_CHECK_EQ_INT(st.trace_len - n_before, W - DELAY);
    GN_CHECK_EQ_INT(st.picker.n, 132u + W - DELAY);
    for (i = 0u; i < W - DELAY; ++i) {
        bad += trace[n_before + i] != dequant(enc(132u + i));
    }
    GN_CHECK_EQ_INT(bad, 0);
    /* and it continues hop by hop from there: the crest at 140 comes out at its stream index */
    for (k = 1u; k < 6u; ++k) {
        make_window(132u + k * HOP, 0);
        got = gn_hs_stitch_window(&st, 132u + k * HOP, out, ev, 8u);
        if (got == 1u) {
            GN_CHECK_EQ_INT(ev[0].index, 140);
            bad += 100u;
        }
    }
    GN_CHECK_EQ_INT(bad, 100); /* exactly one event */
    /* a window from the past (the stream restarted at 0) also restarts */
    make_window(0u, 1);
    n_before = st.trace_len;
    GN_CHECK_EQ_INT(gn_hs_stitch_window(&st, 0u, out, ev, 8u), 0);
    GN_CHECK_EQ_INT(st.picker.n, W - DELAY);
    GN_CHECK_EQ_INT(st.trace_len - n_before, W - DELAY);
}

static void test_a_window_repeated_is_not_used_twice(void)
{
    gn_hs_event ev[8];
    init_stitch();
    make_window(0u, 1);
    (void)gn_hs_stitch_window(&st, 0u, out, ev, 8u);
    make_window(HOP, 0);
    (void)gn_hs_stitch_window(&st, HOP, out, ev, 8u);
    /* the same start again does not continue the stream: restart there */
    make_window(HOP, 1);
    (void)gn_hs_stitch_window(&st, HOP, out, ev, 8u);
    GN_CHECK_EQ_INT(st.picker.n, HOP + W - DELAY);
    GN_CHECK_EQ_INT(st.trace_len, (W - DELAY) + HOP + (W - DELAY));
}

static void test_event_buffer_limit(void)
{
    /* a window whose new outputs hold two crests, with room for one event */
    gn_hs_stitch_params p;
    gn_hs_picker_params pk;
    gn_hs_event ev[2];
    int8_t o[32];
    uint32_t j;
    p.window = 32u;
    p.hop = 32u;
    p.output_delay = 0u;
    p.out_scale = SCALE;
    p.out_zero_point = ZP;
    gn_hs_picker_default_params(&pk);
    pk.min_interval = 1u;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &p, &pk), 0);
    for (j = 0u; j < 32u; ++j) {
        o[j] = (int8_t)((j == 5u || j == 15u) ? 100 : -128);
    }
    GN_CHECK_EQ_INT(gn_hs_stitch_window(&st, 0u, o, ev, 1u), 1);
    GN_CHECK_EQ_INT(ev[0].index, 5);
    GN_CHECK_EQ_INT(gn_hs_stitch_window(&st, 32u, o, ev, 2u), 2);
    GN_CHECK_EQ_INT(ev[0].index, 37);
    GN_CHECK_EQ_INT(ev[1].index, 47);
}

static void test_params_are_checked(void)
{
    gn_hs_stitch_params p, q;
    gn_hs_picker_params pk, bad_pk;
    p.window = W;
    p.hop = HOP;
    p.output_delay = W - HOP; /* the largest delay allowed */
    p.out_scale = SCALE;
    p.out_zero_point = ZP;
    gn_hs_picker_default_params(&pk);
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &p, &pk), 0);
    q = p;
    q.output_delay = W - HOP + 1u;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &q, &pk), 1);
    q = p;
    q.window = 0u;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &q, &pk), 1);
    q = p;
    q.hop = W + 1u;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &q, &pk), 1);
    q = p;
    q.hop = 0u;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &q, &pk), 1);
    q = p;
    q.out_scale = 0.0f;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &q, &pk), 2);
    q.out_scale = NAN;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &q, &pk), 2);
    bad_pk = pk;
    bad_pk.release = 0.9f;
    GN_CHECK_EQ_INT(gn_hs_stitch_init(&st, &p, &bad_pk), 3);
    GN_CHECK(gn_hs_stitch_size() == sizeof(gn_hs_stitch));
}

int main(void)
{
    GN_RUN(test_one_probability_per_sample_in_order);
    GN_RUN(test_events_land_on_the_crest_centres);
    GN_RUN(test_a_gap_restarts_at_the_window_start);
    GN_RUN(test_a_window_repeated_is_not_used_twice);
    GN_RUN(test_event_buffer_limit);
    GN_RUN(test_params_are_checked);
    return gn_test_finish("hs_stitch");
}

/* test_window.c - the sliding window over int8 input rows (gn_window). */
#include <stdint.h>

#include "gn_window.h"
#include "gn_test.h"

static gn_window win;
static int8_t out[GN_MAX_WINDOW * GN_MAX_CHANNELS];

/* Row of stream sample i: channel c holds a value that names (i, c). */
static int8_t value(uint32_t i, uint16_t c)
{
    return (int8_t)((int32_t)((i * 3u + c) % 256u) - 128);
}

static void push_sample(uint32_t i, uint16_t channels, int *ready)
{
    int8_t row[GN_MAX_CHANNELS];
    uint16_t c;
    for (c = 0u; c < channels; ++c) {
        row[c] = value(i, c);
    }
    *ready = gn_window_push(&win, row);
}

/* 1 when out holds samples [start, start + window) in order, all channels. */
static int window_is(uint32_t start, uint16_t window, uint16_t channels)
{
    uint32_t r;
    uint16_t c;
    for (r = 0u; r < window; ++r) {
        for (c = 0u; c < channels; ++c) {
            if (out[r * channels + c] != value(start + r, c)) {
                return 0;
            }
        }
    }
    return 1;
}

static void test_first_window_then_every_hop(void)
{
    const uint16_t W = 8u, hop = 3u, ch = 2u;
    uint32_t i, ready_at[8], n_ready = 0u;
    int ready, bad = 0;
    GN_CHECK_EQ_INT(gn_window_init(&win, W, hop, ch), 0);
    for (i = 0u; i < 20u; ++i) {
        push_sample(i, ch, &ready);
        if (ready) {
            ready_at[n_ready++] = i;
            gn_window_copy(&win, out);
            bad += !window_is(gn_window_start(&win), W, ch);
            bad += gn_window_start(&win) != i + 1u - W;
        }
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(n_ready, 5); /* after samples 7, 10, 13, 16, 19 */
    GN_CHECK_EQ_INT(ready_at[0], 7);
    GN_CHECK_EQ_INT(ready_at[1], 10);
    GN_CHECK_EQ_INT(ready_at[4], 19);
}

static void test_copy_order_across_the_ring_wrap(void)
{
    /* window 5, hop 2: windows end at every ring position, so the unrolling is tested at each split */
    const uint16_t W = 5u, hop = 2u, ch = GN_MAX_CHANNELS;
    uint32_t i, n_ready = 0u;
    int ready, bad = 0;
    GN_CHECK_EQ_INT(gn_window_init(&win, W, hop, ch), 0);
    for (i = 0u; i < 41u; ++i) {
        push_sample(i, ch, &ready);
        if (ready) {
            ++n_ready;
            gn_window_copy(&win, out);
            bad += !window_is(i + 1u - W, W, ch);
        }
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(n_ready, 19); /* ends 4, 6, ..., 40 */
}

static void test_largest_window_and_hop_equal_to_window(void)
{
    const uint16_t W = GN_MAX_WINDOW, ch = 6u;
    uint32_t i, n_ready = 0u;
    int ready, bad = 0;
    GN_CHECK_EQ_INT(gn_window_init(&win, W, W, ch), 0);
    for (i = 0u; i < 3u * W + 5u; ++i) {
        push_sample(i, ch, &ready);
        if (ready) {
            ++n_ready;
            gn_window_copy(&win, out);
            bad += !window_is(gn_window_start(&win), W, ch);
            bad += gn_window_start(&win) != (n_ready - 1u) * W;
        }
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(n_ready, 3);
}

static void test_reset_needs_a_full_window_again(void)
{
    const uint16_t W = 6u, hop = 2u, ch = 1u;
    uint32_t i;
    int ready, n_ready = 0;
    GN_CHECK_EQ_INT(gn_window_init(&win, W, hop, ch), 0);
    for (i = 0u; i < 9u; ++i) {
        push_sample(i, ch, &ready);
    }
    /* a gap: samples 9..99 are missing, the next row is sample 100 */
    gn_window_reset_at(&win, 100u);
    for (i = 100u; i < 105u; ++i) {
        push_sample(i, ch, &ready);
        n_ready += ready;
    }
    GN_CHECK_EQ_INT(n_ready, 0); /* 5 rows are not a window */
    push_sample(105u, ch, &ready);
    GN_CHECK_EQ_INT(ready, 1);
    GN_CHECK_EQ_INT(gn_window_start(&win), 100);
    gn_window_copy(&win, out);
    GN_CHECK(window_is(100u, W, ch));
    push_sample(106u, ch, &ready);
    GN_CHECK_EQ_INT(ready, 0);
    push_sample(107u, ch, &ready);
    GN_CHECK_EQ_INT(ready, 1);
    GN_CHECK_EQ_INT(gn_window_start(&win), 102);
    /* plain reset: numbering goes on from the rows pushed so far (108 here) */
    gn_window_reset(&win);
    for (i = 108u; i < 114u; ++i) {
        push_sample(i, ch, &ready);
    }
    GN_CHECK_EQ_INT(ready, 1);
    GN_CHECK_EQ_INT(gn_window_start(&win), 108);
    gn_window_copy(&win, out);
    GN_CHECK(window_is(108u, W, ch));
}

static void test_params_are_checked(void)
{
    GN_CHECK_EQ_INT(gn_window_init(&win, 0u, 1u, 1u), 1);
    GN_CHECK_EQ_INT(gn_window_init(&win, GN_MAX_WINDOW + 1u, 1u, 1u), 1);
    GN_CHECK_EQ_INT(gn_window_init(&win, 8u, 0u, 1u), 2);
    GN_CHECK_EQ_INT(gn_window_init(&win, 8u, 9u, 1u), 2);
    GN_CHECK_EQ_INT(gn_window_init(&win, 8u, 8u, 0u), 3);
    GN_CHECK_EQ_INT(gn_window_init(&win, 8u, 8u, GN_MAX_CHANNELS + 1u), 3);
    GN_CHECK_EQ_INT(gn_window_init(&win, 1u, 1u, 1u), 0);
}

int main(void)
{
    GN_RUN(test_first_window_then_every_hop);
    GN_RUN(test_copy_order_across_the_ring_wrap);
    GN_RUN(test_largest_window_and_hop_equal_to_window);
    GN_RUN(test_reset_needs_a_full_window_again);
    GN_RUN(test_params_are_checked);
    return gn_test_finish("window");
}

/* test_ring.c - the ISR -> loop sample ring (gn_ring). */
#include <stdint.h>

#include "gn_ring.h"
#include "gn_test.h"

static gn_ring ring; /* static: GN_RING_CAPACITY samples do not belong on a small stack */

static gn_raw_sample sample(uint32_t index)
{
    gn_raw_sample s;
    int k;
    s.index = index;
    for (k = 0; k < GN_AXES; ++k) {
        s.raw[k] = (int16_t)((int32_t)(index * 7u + (uint32_t)k) % 30000 - 15000);
    }
    return s;
}

static int same(const gn_raw_sample *a, const gn_raw_sample *b)
{
    int k;
    if (a->index != b->index) {
        return 0;
    }
    for (k = 0; k < GN_AXES; ++k) {
        if (a->raw[k] != b->raw[k]) {
            return 0;
        }
    }
    return 1;
}

static void test_empty_ring_pops_nothing(void)
{
    gn_raw_sample out;
    gn_ring_init(&ring);
    GN_CHECK_EQ_INT(gn_ring_count(&ring), 0);
    GN_CHECK_EQ_INT(gn_ring_free(&ring), GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(gn_ring_pop(&ring, &out), 0);
    GN_CHECK_EQ_INT(ring.high_water, 0);
    GN_CHECK_EQ_INT(ring.dropped, 0);
}

static void test_fifo_order_and_counts(void)
{
    gn_raw_sample in, out;
    uint32_t k, bad = 0u;
    gn_ring_init(&ring);
    for (k = 0u; k < 10u; ++k) {
        in = sample(k);
        GN_CHECK_EQ_INT(gn_ring_push(&ring, &in), 0);
    }
    GN_CHECK_EQ_INT(gn_ring_count(&ring), 10);
    GN_CHECK_EQ_INT(gn_ring_free(&ring), GN_RING_CAPACITY - 10);
    for (k = 0u; k < 4u; ++k) {
        in = sample(k);
        bad += gn_ring_pop(&ring, &out) && same(&in, &out) ? 0u : 1u;
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(gn_ring_count(&ring), 6);
    GN_CHECK_EQ_INT(ring.high_water, 10); /* the most held at once, not the count now */
}

static void test_full_ring_drops_and_counts(void)
{
    gn_raw_sample in, out;
    uint32_t k, bad = 0u;
    gn_ring_init(&ring);
    for (k = 0u; k < GN_RING_CAPACITY; ++k) {
        in = sample(k);
        bad += (uint32_t)gn_ring_push(&ring, &in);
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(gn_ring_free(&ring), 0);
    in = sample(9999u);
    GN_CHECK_EQ_INT(gn_ring_push(&ring, &in), 1);
    GN_CHECK_EQ_INT(gn_ring_push(&ring, &in), 1);
    GN_CHECK_EQ_INT(ring.dropped, 2);
    GN_CHECK_EQ_INT(gn_ring_count(&ring), GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(ring.high_water, GN_RING_CAPACITY);
    /* the dropped samples never appear: the oldest is still sample 0 */
    GN_CHECK_EQ_INT(gn_ring_pop(&ring, &out), 1);
    GN_CHECK_EQ_INT(out.index, 0);
    in = sample(GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(gn_ring_push(&ring, &in), 0); /* one slot free again */
    for (k = 1u; k <= GN_RING_CAPACITY; ++k) {
        in = sample(k);
        bad += gn_ring_pop(&ring, &out) && same(&in, &out) ? 0u : 1u;
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(gn_ring_pop(&ring, &out), 0);
    GN_CHECK_EQ_INT(ring.dropped, 2);
}

static void test_counters_wrap_around(void)
{
    gn_raw_sample in, out;
    uint32_t k, bad = 0u, next_out = 0u;
    const uint32_t start = UINT32_MAX - 5u;
    gn_ring_init(&ring);
    ring.head = start; /* as after 2^32 - 6 samples */
    ring.tail = start;
    GN_CHECK_EQ_INT(gn_ring_count(&ring), 0);
    /* push and pop across the wrap of both counters, with the ring nearly full at times */
    for (k = 0u; k < 3u * GN_RING_CAPACITY; ++k) {
        in = sample(k);
        bad += (uint32_t)gn_ring_push(&ring, &in);
        if (k % 3u != 0u || gn_ring_count(&ring) == GN_RING_CAPACITY) {
            in = sample(next_out++);
            bad += gn_ring_pop(&ring, &out) && same(&in, &out) ? 0u : 1u;
        }
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK(ring.head < start); /* both counters wrapped */
    GN_CHECK(ring.tail < start);
    GN_CHECK_EQ_INT(gn_ring_count(&ring), 3u * GN_RING_CAPACITY - next_out);
    while (gn_ring_pop(&ring, &out)) {
        in = sample(next_out++);
        bad += same(&in, &out) ? 0u : 1u;
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(next_out, 3u * GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(ring.dropped, 0);
    GN_CHECK_EQ_INT(ring.high_water, GN_RING_CAPACITY);
}

static void test_full_at_the_wrap(void)
{
    gn_raw_sample in, out;
    uint32_t k, bad = 0u;
    gn_ring_init(&ring);
    ring.head = UINT32_MAX - 2u;
    ring.tail = UINT32_MAX - 2u;
    for (k = 0u; k < GN_RING_CAPACITY; ++k) {
        in = sample(k);
        bad += (uint32_t)gn_ring_push(&ring, &in);
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(gn_ring_count(&ring), GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(gn_ring_free(&ring), 0);
    in = sample(12345u);
    GN_CHECK_EQ_INT(gn_ring_push(&ring, &in), 1);
    GN_CHECK_EQ_INT(ring.dropped, 1);
    for (k = 0u; k < GN_RING_CAPACITY; ++k) {
        in = sample(k);
        bad += gn_ring_pop(&ring, &out) && same(&in, &out) ? 0u : 1u;
    }
    GN_CHECK_EQ_INT(bad, 0);
    GN_CHECK_EQ_INT(gn_ring_count(&ring), 0);
    GN_CHECK_EQ_INT(gn_ring_pop(&ring, &out), 0);
}

int main(void)
{
    GN_RUN(test_empty_ring_pops_nothing);
    GN_RUN(test_fifo_order_and_counts);
    GN_RUN(test_full_ring_drops_and_counts);
    GN_RUN(test_counters_wrap_around);
    GN_RUN(test_full_at_the_wrap);
    return gn_test_finish("ring");
}

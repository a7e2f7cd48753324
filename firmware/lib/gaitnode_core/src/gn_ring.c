/* gn_ring.c - lock-free SPSC ring of raw samples (see gn_ring.h). */
#include "gn_ring.h"

#define GN_RING_MASK ((uint32_t)GN_RING_CAPACITY - 1u)

void gn_ring_init(gn_ring *r)
{
    r->head = 0u;
    r->tail = 0u;
    r->high_water = 0u;
    r->dropped = 0u;
}

int gn_ring_push(gn_ring *r, const gn_raw_sample *s)
{
    /* head is ours (plain read); tail is the consumer's: acquire, so its slot reads are done */
    const uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
    const uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    const uint32_t held = head - tail; /* free-running counters: the difference survives wrap-around */
    if (held >= (uint32_t)GN_RING_CAPACITY) {
        ++r->dropped;
        return 1;
    }
    r->buf[head & GN_RING_MASK] = *s;
    /* release: the slot's contents are visible before the consumer sees the new head */
    __atomic_store_n(&r->head, head + 1u, __ATOMIC_RELEASE);
    if (held + 1u > r->high_water) {
        r->high_water = held + 1u;
    }
    return 0;
}

int gn_ring_pop(gn_ring *r, gn_raw_sample *out)
{
    const uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    const uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    if (head == tail) {
        return 0;
    }
    *out = r->buf[tail & GN_RING_MASK];
    /* release: the slot is read before the producer may reuse it */
    __atomic_store_n(&r->tail, tail + 1u, __ATOMIC_RELEASE);
    return 1;
}

uint32_t gn_ring_count(const gn_ring *r)
{
    /* tail first: head only grows, so head - tail cannot go negative between the two loads */
    const uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    const uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    const uint32_t held = head - tail;
    /* from the producer side the tail may move after it was read: never report more than fits */
    return held > (uint32_t)GN_RING_CAPACITY ? (uint32_t)GN_RING_CAPACITY : held;
}

uint32_t gn_ring_free(const gn_ring *r)
{
    return (uint32_t)GN_RING_CAPACITY - gn_ring_count(r);
}

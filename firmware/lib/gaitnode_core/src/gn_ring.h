/* gn_ring.h - lock-free single-producer single-consumer ring of raw samples (ISR -> loop).
 *
 * The producer (the IMU ISR or IMU task on boards; the replay path in replay mode) calls only
 * gn_ring_push; the consumer (the main loop) only gn_ring_pop / gn_ring_count. head and tail are
 * free-running 32-bit counters published with GCC/Clang __atomic builtins (release on write, acquire
 * on read), so the ring is safe across an interrupt or between two cores (ESP32) with no lock, no
 * heap and no floating point. Capacity GN_RING_CAPACITY (a power of two, gn_config.h).
 */
#ifndef GN_RING_H
#define GN_RING_H

#include <stdint.h>

#include "gn_config.h"
#include "gn_sample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    gn_raw_sample buf[GN_RING_CAPACITY];
    uint32_t head;       /* samples ever pushed (written by the producer only) */
    uint32_t tail;       /* samples ever popped (written by the consumer only) */
    uint32_t high_water; /* most samples ever held at once (producer only) */
    uint32_t dropped;    /* pushes refused because the ring was full (producer only) */
} gn_ring;

void gn_ring_init(gn_ring *r);

/* Producer: copy *s in. 0 on success, 1 when full (the sample is dropped and counted). */
int gn_ring_push(gn_ring *r, const gn_raw_sample *s);

/* Consumer: copy the oldest sample to *out and remove it. 1 when a sample was popped, 0 if empty. */
int gn_ring_pop(gn_ring *r, gn_raw_sample *out);

/* Samples held now (either side may call it; a snapshot). */
uint32_t gn_ring_count(const gn_ring *r);

/* Free slots now (GN_RING_CAPACITY - count). */
uint32_t gn_ring_free(const gn_ring *r);

#ifdef __cplusplus
}
#endif

#endif /* GN_RING_H */

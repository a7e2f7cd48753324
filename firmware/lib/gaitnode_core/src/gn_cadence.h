/* gn_cadence.h - the first estimator: stride time and cadence from one leg's heel strikes.
 *
 * Stride time = the interval between consecutive heel strikes of the node's leg; the estimate is
 * the median of the last n strides (robust to one missed or extra event). Intervals outside
 * [min_stride_s, max_stride_s] are not strides (a stop, a missed event) and restart the history.
 * Cadence (steps/min) = 120 / stride time (two steps per stride). With an even number of strides
 * the median is the mean of the two middle ones.
 */
#ifndef GN_CADENCE_H
#define GN_CADENCE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GN_CADENCE_MAX_STRIDES 16

typedef struct {
    uint8_t n_strides;  /* strides in the median; default 5, 1..GN_CADENCE_MAX_STRIDES */
    float min_stride_s; /* default 0.4 s */
    float max_stride_s; /* default 2.5 s */
    float rate_hz;      /* sample rate of the event indices; default 100 */
} gn_cadence_params;

typedef struct {
    gn_cadence_params p;
    float strides[GN_CADENCE_MAX_STRIDES]; /* ring of the last strides (s) */
    uint8_t count, next;
    uint8_t has_last;
    uint32_t last_index; /* sample index of the previous heel strike */
    float last_frac;     /* and its sub-sample fraction */
} gn_cadence;

void gn_cadence_default_params(gn_cadence_params *p);

/* 0, or 1 (n_strides out of range), 2 (bounds not 0 < min < max), 3 (rate_hz not > 0). */
int gn_cadence_init(gn_cadence *c, const gn_cadence_params *p);

/* A heel strike of the node's leg at sample index + frac (increasing; no doubles: the
 * interval is formed in integer samples first, so hours of stream lose no precision). */
void gn_cadence_push(gn_cadence *c, uint32_t index, float frac);

/* 1 and the median stride time (s) and cadence (steps/min) when at least one stride is known, else 0. */
int gn_cadence_get(const gn_cadence *c, float *stride_s, float *steps_per_min);

/* 1 and the median stride time (s) when the leg is walking at sample `index`: at least one stride
 * is known and the last heel strike is at most max_stride_s before `index` (the ACSM estimator's
 * "no valid stride = standing" rule). 0 otherwise: no stride yet, or no heel strike for longer
 * than a stride can last (the subject stopped; gn_cadence_get still reports the old median). */
int gn_cadence_stride_at(const gn_cadence *c, uint32_t index, float *stride_s);

/* Forget the history (mode change, stream gap). */
void gn_cadence_reset(gn_cadence *c);

/* sizeof(gn_cadence), for hosts that allocate it outside C. */
uint32_t gn_cadence_size(void);

#ifdef __cplusplus
}
#endif

#endif /* GN_CADENCE_H */

/* gn_hs_picker.h - heel-strike events from the model's per-sample heel-strike probability.
 *
 * Input: the stitched per-sample probability p (0..1) of the heel-strike model, one value per
 * IMU sample (see the model contract: p[s] belongs to input sample s); NaN where the model gave
 * no output. Streaming, one sample at a time, no heap; the caller owns the state.
 *
 * Rules:
 * - A region starts at a sample with p >= threshold and ends at the first later sample with
 *   p < release or p NaN (hysteresis: release <= threshold keeps a noisy crest in one region).
 * - The region's event is at the probability-weighted centroid of its samples with p >= threshold
 *   (the crest; the hysteresis tail between release and threshold does not count, so a symmetric
 *   crest gives its centre). The model is trained on box labels +-half width around the heel
 *   strike, so its output is a plateau near 1 whose argmax is arbitrary (float) or a tie (int8);
 *   the centroid is its middle. index = the nearest sample, frac = the rest in [-0.5, 0.5].
 * - Refractory: an event whose index is less than min_interval samples after the previous
 *   *emitted* event is dropped (the earlier one wins: on the device it has been announced).
 * - The event is emitted when its region ends; gn_hs_picker_flush ends an open region at the
 *   end of the stream.
 */
#ifndef GN_HS_PICKER_H
#define GN_HS_PICKER_H

#include <stdint.h>

#include "gn_hs_event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    float threshold;       /* [probability, 0..1] a region starts at p >= threshold; default 0.5 */
    float release;         /* [probability, 0..threshold] a region ends at p < release; default 0.4 */
    uint32_t min_interval; /* [samples] shortest distance between emitted events; default 35 */
} gn_hs_picker_params;

/* Picker state: treat as opaque; owned by the caller. */
typedef struct {
    gn_hs_picker_params p;
    uint8_t in_region;     /* a region is open */
    uint8_t has_event;     /* last_event is valid */
    float best_p;          /* max p in the open region (reported as the event's value) */
    float sum_w;           /* sum of p over the region's samples with p >= threshold */
    float sum_wi;          /* sum of p * (i - region_start) over the same samples */
    uint32_t region_start; /* index of the region's first sample */
    uint32_t last_event;   /* index of the last emitted event */
    uint32_t n;            /* index the next pushed sample gets */
} gn_hs_picker_state;

/* Fill p with the defaults (threshold 0.5, release 0.4, min_interval 35 samples). */
void gn_hs_picker_default_params(gn_hs_picker_params *p);

/* 0 when valid, else 1 (threshold not in (0, 1]) or 2 (release not in [0, threshold]). */
int gn_hs_picker_check_params(const gn_hs_picker_params *p);

/* Initialise s with p; returns 0 or the gn_hs_picker_check_params code. */
int gn_hs_picker_init(gn_hs_picker_state *s, const gn_hs_picker_params *p);

/* Push the probability of the next sample (NaN: no model output). Returns 1 and fills *out (may be
 * NULL) when a region ended here and its event passed the refractory rule, else 0. */
int gn_hs_picker_push(gn_hs_picker_state *s, float p, gn_hs_event *out);

/* End of stream: close an open region. Returns 1 and fills *out when that gives an event. The
 * state stays usable; the next push continues the sample count. */
int gn_hs_picker_flush(gn_hs_picker_state *s, gn_hs_event *out);

/* Continue the stream at sample `index` (samples were skipped: a transport gap). An open region
 * is closed first: returns 1 and fills *out (may be NULL) when that gives an event, else 0. The
 * refractory memory is kept, so an event just before the gap still blocks a too-close one. */
int gn_hs_picker_seek(gn_hs_picker_state *s, uint32_t index, gn_hs_event *out);

/* sizeof(gn_hs_picker_state), for hosts that allocate the state outside C (language bindings). */
uint32_t gn_hs_picker_state_size(void);

/* Batch helper for hosts: push n probabilities, then flush when flush != 0. Writes up to max_events
 * events and returns how many were emitted in total (the ones beyond max_events are lost). */
uint32_t gn_hs_picker_run(gn_hs_picker_state *s, const float *p, uint32_t n, int flush,
                          gn_hs_event *events, uint32_t max_events);

#ifdef __cplusplus
}
#endif

#endif /* GN_HS_PICKER_H */

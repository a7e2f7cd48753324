/* gn_hs_stitch.h - heel-strike model output windows -> one probability per sample -> events.
 *
 * The model contract (docs/heel-strike.md): output j of the window starting at sample s is the
 * heel-strike probability of sample s + j - output_delay. Window k (s = k*hop) contributes outputs
 * j in [window - hop, window); the first window after init also [output_delay, window - hop), so
 * every sample from 0 on gets exactly one probability (training/predict.py `stitch` is the same
 * rule). Probabilities are dequantised ((q - zero_point) * scale) and pushed in sample order into
 * the gn_hs_picker, whose events carry the stream sample index + sub-sample fraction of the contact.
 * A window that does not continue the stream (a gap, or a first window at start != 0) is treated
 * like the first window: an open crest is flushed as an event first (as a NaN would end it), and
 * the picker goes on at the window's start sample, keeping its refractory memory.
 */
#ifndef GN_HS_STITCH_H
#define GN_HS_STITCH_H

#include <stdint.h>

#include "gn_hs_event.h"
#include "gn_hs_picker.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint16_t window;       /* model window (samples) */
    uint16_t hop;          /* samples between windows */
    uint16_t output_delay; /* samples the output lags its input */
    float out_scale;       /* output tensor scale */
    int32_t out_zero_point;
} gn_hs_stitch_params;

typedef struct {
    gn_hs_stitch_params p;
    gn_hs_picker_state picker;
    uint32_t next_sample; /* stream index of the next probability the picker expects */
    uint8_t started;      /* a window has been consumed */
    float *trace;         /* optional record of every probability pushed (tests, host tools); NULL: none */
    uint32_t trace_cap, trace_len;
} gn_hs_stitch;

/* 0, or 1 (window 0, hop 0 or > window, output_delay > window - hop), 2 (out_scale not > 0 and finite),
 * 3 (picker params invalid). No trace. */
int gn_hs_stitch_init(gn_hs_stitch *s, const gn_hs_stitch_params *p, const gn_hs_picker_params *picker);

/* Consume the int8 output (window values) of the window starting at stream sample `start`.
 * Windows must come in order, hop apart (a window that does not continue the stream restarts
 * the picker at its first sample). Writes up to max_events events (the rest are lost); returns
 * how many it wrote. */
uint32_t gn_hs_stitch_window(gn_hs_stitch *s, uint32_t start, const int8_t *out, gn_hs_event *events,
                             uint32_t max_events);

/* End of stream: flush the picker (an open crest becomes an event). Returns 1 and fills *ev then. */
int gn_hs_stitch_flush(gn_hs_stitch *s, gn_hs_event *ev);

/* Record the dequantised probabilities pushed to the picker, in push order, into buf (up to cap;
 * trace_len counts those recorded). buf NULL stops recording. For tests and host tools. */
void gn_hs_stitch_set_trace(gn_hs_stitch *s, float *buf, uint32_t cap);

/* Probabilities recorded so far (trace_len, for language bindings). */
uint32_t gn_hs_stitch_trace_len(const gn_hs_stitch *s);

/* sizeof(gn_hs_stitch), for hosts that allocate the state outside C (language bindings). */
uint32_t gn_hs_stitch_size(void);

#ifdef __cplusplus
}
#endif

#endif /* GN_HS_STITCH_H */

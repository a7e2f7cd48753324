/* gn_window.h - sliding window over the int8 input rows: a new window every `hop` rows.
 *
 * Rows (one int8 per channel) are pushed one sample at a time into a ring of `window` rows.
 * A window is ready after row number (window - 1) and then every hop rows: window k covers
 * rows [k*hop, k*hop + window) counted from init or the last reset. Stream indices: the first
 * row after init is sample 0, consecutive rows are consecutive samples, and gn_window_reset_at
 * names the stream index of the next row (after a gap), so gn_window_start gives the stream
 * index the stitcher needs. gn_window_copy unrolls the ring oldest -> newest into the model's
 * [window][channels] layout.
 */
#ifndef GN_WINDOW_H
#define GN_WINDOW_H

#include <stdint.h>

#include "gn_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int8_t rows[GN_MAX_WINDOW * GN_MAX_CHANNELS];
    uint16_t window, hop, channels;
    uint16_t next;    /* ring slot the next row goes to */
    uint16_t due;     /* rows until the next window is ready */
    uint32_t pushed;  /* rows pushed since init or the last reset */
    uint32_t base;    /* stream index of the first row since init or the last reset */
} gn_window;

/* 0, or 1 (window 0 or > GN_MAX_WINDOW), 2 (hop 0 or > window), 3 (channels 0 or > GN_MAX_CHANNELS). */
int gn_window_init(gn_window *w, uint16_t window, uint16_t hop, uint16_t channels);

/* Push one row of `channels` values. Returns 1 when a window is ready (copy it before the next push). */
int gn_window_push(gn_window *w, const int8_t *row);

/* Copy the current window (window * channels bytes) to out, oldest row first. */
void gn_window_copy(const gn_window *w, int8_t *out);

/* Stream index of the current window's first sample (base + pushed - window; valid when one is ready). */
uint32_t gn_window_start(const gn_window *w);

/* Forget all rows; the next window needs `window` new rows. The next row keeps the numbering
 * (its stream index is the count of rows pushed since init), as if no sample were missing. */
void gn_window_reset(gn_window *w);

/* Forget all rows (after a gap in the stream); the next row is stream sample `index`. */
void gn_window_reset_at(gn_window *w, uint32_t index);

#ifdef __cplusplus
}
#endif

#endif /* GN_WINDOW_H */

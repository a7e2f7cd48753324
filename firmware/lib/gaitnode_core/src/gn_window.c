/* gn_window.c - sliding window over int8 input rows (see gn_window.h). */
#include "gn_window.h"

int gn_window_init(gn_window *w, uint16_t window, uint16_t hop, uint16_t channels)
{
    if (window == 0u || window > GN_MAX_WINDOW) {
        return 1;
    }
    if (hop == 0u || hop > window) {
        return 2;
    }
    if (channels == 0u || channels > GN_MAX_CHANNELS) {
        return 3;
    }
    w->window = window;
    w->hop = hop;
    w->channels = channels;
    gn_window_reset_at(w, 0u);
    return 0;
}

int gn_window_push(gn_window *w, const int8_t *row)
{
    int8_t *dst = &w->rows[(uint32_t)w->next * w->channels];
    uint16_t c;
    for (c = 0u; c < w->channels; ++c) {
        dst[c] = row[c];
    }
    w->next = (uint16_t)(w->next + 1u);
    if (w->next == w->window) {
        w->next = 0u;
    }
    ++w->pushed;
    if (--w->due != 0u) {
        return 0;
    }
    w->due = w->hop;
    return 1;
}

void gn_window_copy(const gn_window *w, int8_t *out)
{
    /* the ring is exactly `window` rows long, so the oldest row sits where the next one goes */
    const uint32_t row_bytes = w->channels;
    const uint32_t total = (uint32_t)w->window * row_bytes;
    const uint32_t split = (uint32_t)w->next * row_bytes;
    uint32_t k, o = 0u;
    for (k = split; k < total; ++k) {
        out[o++] = w->rows[k];
    }
    for (k = 0u; k < split; ++k) {
        out[o++] = w->rows[k];
    }
}

uint32_t gn_window_start(const gn_window *w)
{
    return w->base + w->pushed - w->window;
}

void gn_window_reset(gn_window *w)
{
    gn_window_reset_at(w, w->base + w->pushed);
}

void gn_window_reset_at(gn_window *w, uint32_t index)
{
    w->next = 0u;
    w->pushed = 0u;
    w->base = index;
    w->due = w->window;
}

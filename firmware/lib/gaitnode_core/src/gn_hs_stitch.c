/* gn_hs_stitch.c - model output windows -> per-sample probabilities -> events (see gn_hs_stitch.h). */
#include "gn_hs_stitch.h"

#include <math.h>
#include <stddef.h>

int gn_hs_stitch_init(gn_hs_stitch *s, const gn_hs_stitch_params *p, const gn_hs_picker_params *picker)
{
    if (p->window == 0u || p->hop == 0u || p->hop > p->window || p->output_delay > p->window - p->hop) {
        return 1;
    }
    if (!(p->out_scale > 0.0f && isfinite(p->out_scale))) {
        return 2;
    }
    if (gn_hs_picker_init(&s->picker, picker) != 0) {
        return 3;
    }
    s->p = *p;
    s->next_sample = 0u;
    s->started = 0u;
    s->trace = NULL;
    s->trace_cap = 0u;
    s->trace_len = 0u;
    return 0;
}

void gn_hs_stitch_set_trace(gn_hs_stitch *s, float *buf, uint32_t cap)
{
    s->trace = buf;
    s->trace_cap = (buf != NULL) ? cap : 0u;
    s->trace_len = 0u;
}

uint32_t gn_hs_stitch_trace_len(const gn_hs_stitch *s)
{
    return s->trace_len;
}

uint32_t gn_hs_stitch_size(void)
{
    return (uint32_t)sizeof(gn_hs_stitch);
}

/* Keep an event: written while there is room; the count of written events is returned. */
static uint32_t keep(const gn_hs_event *ev, gn_hs_event *events, uint32_t n, uint32_t max_events)
{
    if (n < max_events) {
        events[n] = *ev;
        return n + 1u;
    }
    return n;
}

uint32_t gn_hs_stitch_window(gn_hs_stitch *s, uint32_t start, const int8_t *out, gn_hs_event *events,
                             uint32_t max_events)
{
    const uint32_t window = s->p.window, hop = s->p.hop, delay = s->p.output_delay;
    /* output j of this window is the probability of sample start + j - delay */
    const uint32_t first_new = start + (window - hop) - delay;
    uint32_t j0, j, n = 0u;
    gn_hs_event ev;
    if (s->started && first_new == s->next_sample) {
        j0 = window - hop; /* continues the stream: only the hop newest outputs are new */
    } else {
        /* (re)start at the window's first sample: an open crest ends here (the stream broke);
         * the picker keeps its refractory memory */
        if (gn_hs_picker_seek(&s->picker, start, &ev)) {
            n = keep(&ev, events, n, max_events);
        }
        s->started = 1u;
        j0 = delay;
    }
    for (j = j0; j < window; ++j) {
        const float p = (float)((int32_t)out[j] - s->p.out_zero_point) * s->p.out_scale;
        if (s->trace_len < s->trace_cap) {
            s->trace[s->trace_len++] = p;
        }
        if (gn_hs_picker_push(&s->picker, p, &ev)) {
            n = keep(&ev, events, n, max_events);
        }
    }
    s->next_sample = start + window - delay;
    return n;
}

int gn_hs_stitch_flush(gn_hs_stitch *s, gn_hs_event *ev)
{
    return gn_hs_picker_flush(&s->picker, ev);
}

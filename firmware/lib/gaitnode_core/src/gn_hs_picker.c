/* gn_hs_picker.c - heel-strike events from the per-sample probability (rules in gn_hs_picker.h). */
#include "gn_hs_picker.h"

#include <math.h>
#include <stddef.h>

void gn_hs_picker_default_params(gn_hs_picker_params *p)
{
    p->threshold = 0.5f;
    p->release = 0.4f;
    p->min_interval = 35u;
}

int gn_hs_picker_check_params(const gn_hs_picker_params *p)
{
    if (!(p->threshold > 0.0f && p->threshold <= 1.0f)) {
        return 1;
    }
    if (!(p->release >= 0.0f && p->release <= p->threshold)) {
        return 2;
    }
    return 0;
}

int gn_hs_picker_init(gn_hs_picker_state *s, const gn_hs_picker_params *p)
{
    const int err = gn_hs_picker_check_params(p);
    if (err != 0) {
        return err;
    }
    s->p = *p;
    s->in_region = 0u;
    s->has_event = 0u;
    s->best_p = 0.0f;
    s->sum_w = 0.0f;
    s->sum_wi = 0.0f;
    s->region_start = 0u;
    s->last_event = 0u;
    s->n = 0u;
    return 0;
}

/* Close the open region at its crest's centroid. 1 when an event is emitted. */
static int close_region(gn_hs_picker_state *s, gn_hs_event *out)
{
    /* sum_w > 0: the region's first sample had p >= threshold > 0 */
    const float c = s->sum_wi / s->sum_w;   /* samples after region_start, >= 0 */
    const float whole = floorf(c + 0.5f);   /* nearest sample */
    const uint32_t idx = s->region_start + (uint32_t)whole;
    s->in_region = 0u;
    if (s->has_event && idx - s->last_event < s->p.min_interval) {
        return 0; /* refractory: the earlier, already announced event stands */
    }
    s->has_event = 1u;
    s->last_event = idx;
    if (out != NULL) {
        out->index = idx;
        out->frac = c - whole;
        out->value = s->best_p;
    }
    return 1;
}

/* Add sample i (finite p >= release) to the open region. */
static void accumulate(gn_hs_picker_state *s, float p, uint32_t i)
{
    if (p > s->best_p) {
        s->best_p = p;
    }
    if (p >= s->p.threshold) {
        s->sum_w += p;
        s->sum_wi += p * (float)(i - s->region_start);
    }
}

int gn_hs_picker_push(gn_hs_picker_state *s, float p, gn_hs_event *out)
{
    const uint32_t i = s->n;
    const int finite = isfinite(p) ? 1 : 0;
    int emitted = 0;
    s->n = i + 1u; /* wraps after 2^32 samples (497 days at 100 Hz) */
    if (s->in_region) {
        if (!finite || p < s->p.release) {
            emitted = close_region(s, out);
        } else {
            accumulate(s, p, i);
        }
    } else if (finite && p >= s->p.threshold) {
        s->in_region = 1u;
        s->region_start = i;
        s->best_p = 0.0f;
        s->sum_w = 0.0f;
        s->sum_wi = 0.0f;
        accumulate(s, p, i);
    }
    return emitted;
}

int gn_hs_picker_flush(gn_hs_picker_state *s, gn_hs_event *out)
{
    int emitted = 0;
    if (s->in_region) {
        emitted = close_region(s, out);
    }
    return emitted;
}

int gn_hs_picker_seek(gn_hs_picker_state *s, uint32_t index, gn_hs_event *out)
{
    const int got = gn_hs_picker_flush(s, out);
    s->n = index;
    return got;
}

uint32_t gn_hs_picker_state_size(void)
{
    return (uint32_t)sizeof(gn_hs_picker_state);
}

uint32_t gn_hs_picker_run(gn_hs_picker_state *s, const float *p, uint32_t n, int flush,
                          gn_hs_event *events, uint32_t max_events)
{
    uint32_t count = 0u;
    uint32_t k;
    gn_hs_event ev;
    for (k = 0u; k <= n; ++k) {
        int got;
        if (k < n) {
            got = gn_hs_picker_push(s, p[k], &ev);
        } else {
            got = flush ? gn_hs_picker_flush(s, &ev) : 0;
        }
        if (got) {
            if (count < max_events) {
                events[count] = ev;
            }
            ++count;
        }
    }
    return count;
}

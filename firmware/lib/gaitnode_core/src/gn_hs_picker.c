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
    s->prev_valid = 0u;
    s->best_right_ok = 0u;
    s->plateau_open = 0u;
    s->has_event = 0u;
    s->prev = 0.0f;
    s->best_p = 0.0f;
    s->best_left = NAN;
    s->best_right = NAN;
    s->best_idx = 0u;
    s->plateau_len = 0u;
    s->last_event = 0u;
    s->n = 0u;
    return 0;
}

/* A new maximum at sample i with value p. */
static void new_best(gn_hs_picker_state *s, float p, uint32_t i)
{
    s->best_p = p;
    s->best_idx = i;
    s->best_left = s->prev_valid ? s->prev : NAN;
    s->best_right = NAN;
    s->best_right_ok = 0u;
    s->plateau_len = 1u;
    s->plateau_open = 1u;
}

/* Close the open region; right = p of the sample after it (NaN if none). 1 when an event is emitted. */
static int close_region(gn_hs_picker_state *s, float right, gn_hs_event *out)
{
    uint32_t idx;
    float frac;
    s->in_region = 0u;
    if (s->plateau_open) {
        s->best_right = right;
        s->best_right_ok = 1u;
        s->plateau_open = 0u;
    }
    if (s->plateau_len > 1u) {
        idx = s->best_idx + (s->plateau_len - 1u) / 2u;
        frac = ((s->plateau_len - 1u) % 2u != 0u) ? 0.5f : 0.0f;
    } else {
        idx = s->best_idx;
        frac = gn_parabolic_offset(s->best_left, s->best_p, s->best_right); /* 0 if a side is NaN */
    }
    if (s->has_event && idx - s->last_event < s->p.min_interval) {
        return 0; /* refractory: the earlier, already announced event stands */
    }
    s->has_event = 1u;
    s->last_event = idx;
    if (out != NULL) {
        out->index = idx;
        out->frac = frac;
        out->value = s->best_p;
    }
    return 1;
}

int gn_hs_picker_push(gn_hs_picker_state *s, float p, gn_hs_event *out)
{
    const uint32_t i = s->n;
    const int finite = isfinite(p) ? 1 : 0;
    int emitted = 0;
    s->n = i + 1u; /* wraps after 2^32 samples (497 days at 100 Hz) */
    if (s->in_region) {
        if (!finite || p < s->p.release) {
            emitted = close_region(s, finite ? p : NAN, out);
        } else if (p > s->best_p) {
            new_best(s, p, i);
        } else if (p == s->best_p && s->plateau_open) {
            ++s->plateau_len;
        } else if (s->plateau_open) {
            s->best_right = p;
            s->best_right_ok = 1u;
            s->plateau_open = 0u;
        }
    } else if (finite && p >= s->p.threshold) {
        s->in_region = 1u;
        new_best(s, p, i);
    }
    s->prev = p;
    s->prev_valid = (uint8_t)finite;
    return emitted;
}

int gn_hs_picker_flush(gn_hs_picker_state *s, gn_hs_event *out)
{
    int emitted = 0;
    if (s->in_region) {
        emitted = close_region(s, NAN, out);
    }
    s->prev_valid = 0u; /* no neighbour across the end of a stream */
    return emitted;
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

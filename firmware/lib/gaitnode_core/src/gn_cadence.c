/* gn_cadence.c - stride time and cadence from one leg's heel strikes (see gn_cadence.h). */
#include "gn_cadence.h"

#include <math.h>

void gn_cadence_default_params(gn_cadence_params *p)
{
    p->n_strides = 5u;
    p->min_stride_s = 0.4f;
    p->max_stride_s = 2.5f;
    p->rate_hz = 100.0f;
}

int gn_cadence_init(gn_cadence *c, const gn_cadence_params *p)
{
    if (p->n_strides < 1u || p->n_strides > GN_CADENCE_MAX_STRIDES) {
        return 1;
    }
    if (!(p->min_stride_s > 0.0f && p->min_stride_s < p->max_stride_s && isfinite(p->max_stride_s))) {
        return 2;
    }
    if (!(p->rate_hz > 0.0f && isfinite(p->rate_hz))) {
        return 3;
    }
    c->p = *p;
    gn_cadence_reset(c);
    return 0;
}

void gn_cadence_reset(gn_cadence *c)
{
    c->count = 0u;
    c->next = 0u;
    c->has_last = 0u;
    c->last_index = 0u;
    c->last_frac = 0.0f;
}

void gn_cadence_push(gn_cadence *c, uint32_t index, float frac)
{
    if (c->has_last) {
        /* whole samples in integers (exact at any stream length), then the fractions */
        const uint32_t whole = index - c->last_index; /* an index going back wraps: far too long */
        const float max_samples = c->p.max_stride_s * c->p.rate_hz;
        float stride = -1.0f;
        if ((float)whole <= max_samples + 1.0f) {
            stride = ((float)whole + (frac - c->last_frac)) / c->p.rate_hz;
        }
        if (stride >= c->p.min_stride_s && stride <= c->p.max_stride_s) {
            c->strides[c->next] = stride;
            c->next = (uint8_t)((c->next + 1u) % c->p.n_strides);
            if (c->count < c->p.n_strides) {
                ++c->count;
            }
        } else {
            c->count = 0u; /* a stop or a missed event: start a new history */
            c->next = 0u;
        }
    }
    c->has_last = 1u;
    c->last_index = index;
    c->last_frac = frac;
}

int gn_cadence_get(const gn_cadence *c, float *stride_s, float *steps_per_min)
{
    float v[GN_CADENCE_MAX_STRIDES];
    uint8_t i, j, n = c->count;
    float median;
    if (n == 0u) {
        return 0;
    }
    for (i = 0u; i < n; ++i) { /* insertion sort: at most 16 values */
        const float x = c->strides[i];
        j = i;
        while (j > 0u && v[j - 1u] > x) {
            v[j] = v[j - 1u];
            --j;
        }
        v[j] = x;
    }
    median = (n % 2u) ? v[n / 2u] : 0.5f * (v[n / 2u - 1u] + v[n / 2u]);
    *stride_s = median;
    *steps_per_min = 120.0f / median;
    return 1;
}

int gn_cadence_stride_at(const gn_cadence *c, uint32_t index, float *stride_s)
{
    float spm;
    /* an event stamped after `index` (a query between its index and its detection) counts as now */
    const int32_t since = (int32_t)(index - c->last_index);
    if (!c->has_last || (since > 0 && (float)since > c->p.max_stride_s * c->p.rate_hz)) {
        return 0;
    }
    return gn_cadence_get(c, stride_s, &spm);
}

uint32_t gn_cadence_size(void)
{
    return (uint32_t)sizeof(gn_cadence);
}

/* gn_gyro_hs.c - classical heel-strike detector (see gn_gyro_hs.h for the method). */
#include "gn_gyro_hs.h"

#include <math.h>
#include <stddef.h>

enum { PHASE_IDLE = 0, PHASE_RISE = 1, PHASE_SEARCH = 2 };

#define SIGN_FLIP_RATIO 1.2f /* shank: the other peak must exceed this multiple to flip the sign */
#define VOTE_LIMIT 8.0f      /* foot: votes saturate here, so later strides can overrule early ones */
#define VOTES_TO_SETTLE 2.0f /* foot: |vote| needed before the sign counts as decided */

void gn_gyro_hs_default_params(gn_gyro_hs_params *p, int32_t placement)
{
    p->placement = placement;
    p->rate_hz = 100.0f;
    p->axis_tau_s = 4.0f;
    p->settle_s = 2.0f;
    p->still_dps = 20.0f;
    p->quiet_s = 0.08f;
    p->min_peak_dps = 60.0f;
    p->peak_frac = 0.4f;
    p->peak_tau_s = 5.0f;
    p->max_search_s = 0.6f;
    p->refractory_s = 0.4f;
}

/* 1 when lo <= x <= hi (false for NaN). */
static int in_range(float x, float lo, float hi)
{
    return x >= lo && x <= hi;
}

int gn_gyro_hs_check_params(const gn_gyro_hs_params *p)
{
    if (p->placement != GN_PLACEMENT_SHANK && p->placement != GN_PLACEMENT_FOOT) {
        return 1;
    }
    if (!in_range(p->rate_hz, 10.0f, 2000.0f)) {
        return 2;
    }
    if (!in_range(p->axis_tau_s, 0.1f, 600.0f)) {
        return 3;
    }
    if (!in_range(p->settle_s, 0.0f, 600.0f)) {
        return 4;
    }
    if (!in_range(p->still_dps, 0.01f, 1000.0f)) {
        return 5;
    }
    if (!in_range(p->quiet_s, 0.0f, 10.0f)) {
        return 6;
    }
    if (!in_range(p->min_peak_dps, p->still_dps, 5000.0f)) {
        return 7;
    }
    if (!in_range(p->peak_frac, 0.0f, 0.99f)) {
        return 8;
    }
    if (!in_range(p->peak_tau_s, 0.1f, 600.0f)) {
        return 9;
    }
    if (!in_range(p->max_search_s, 0.01f, 5.0f)) {
        return 10;
    }
    if (!in_range(p->refractory_s, 0.0f, 10.0f)) {
        return 11;
    }
    return 0;
}

/* Seconds -> whole samples (rounded); the ranges checked above keep this far below 2^32. */
static uint32_t to_samples(float seconds, float rate_hz)
{
    return (uint32_t)(seconds * rate_hz + 0.5f);
}

int gn_gyro_hs_init(gn_gyro_hs_state *s, const gn_gyro_hs_params *p)
{
    const int err = gn_gyro_hs_check_params(p);
    int k;
    if (err != 0) {
        return err;
    }
    s->p = *p;
    s->cov_alpha = 1.0f - expf(-1.0f / (p->axis_tau_s * p->rate_hz));
    s->peak_decay = expf(-1.0f / (p->peak_tau_s * p->rate_hz));
    s->settle_n = to_samples(p->settle_s, p->rate_hz);
    s->quiet_n = to_samples(p->quiet_s, p->rate_hz);
    s->search_n = to_samples(p->max_search_s, p->rate_hz);
    s->refractory_n = to_samples(p->refractory_s, p->rate_hz);
    for (k = 0; k < 3; ++k) {
        s->mean[k] = 0.0f;
        s->axis[k] = 0.57735027f; /* any start not orthogonal to the sagittal axis works */
    }
    for (k = 0; k < 6; ++k) {
        s->cov[k] = 0.0f;
    }
    s->sign = 1.0f;
    s->pos_peak = 0.0f;
    s->neg_peak = 0.0f;
    s->vote = 0.0f;
    s->run_peak = 0.0f;
    s->n_motion = 0u;
    s->quiet_run = 0u;
    s->quiet_armed = 0u;
    s->phase = PHASE_IDLE;
    s->n_hist = 0u;
    s->has_event = 0u;
    s->w1 = 0.0f;
    s->w2 = 0.0f;
    s->peak_val = 0.0f;
    s->peak_idx = 0u;
    s->last_event = 0u;
    s->n = 0u;
    return 0;
}

void gn_gyro_hs_gap(gn_gyro_hs_state *s)
{
    s->n_hist = 0u;
    s->phase = PHASE_IDLE;
    s->quiet_run = 0u;
}

uint32_t gn_gyro_hs_state_size(void)
{
    return (uint32_t)sizeof(gn_gyro_hs_state);
}

int gn_gyro_hs_settled(const gn_gyro_hs_state *s)
{
    if (s->n_motion < s->settle_n) {
        return 0;
    }
    if (s->p.placement == GN_PLACEMENT_FOOT) {
        return fabsf(s->vote) >= VOTES_TO_SETTLE;
    }
    return fmaxf(s->pos_peak, s->neg_peak) >= s->p.min_peak_dps;
}

/* One EW covariance update with sample g (deg/s) and one power-iteration step for the axis. */
static void update_axis(gn_gyro_hs_state *s, const float g[3])
{
    const float a = s->cov_alpha;
    float d[3];
    float v[3];
    float nrm2;
    int k;
    for (k = 0; k < 3; ++k) {
        s->mean[k] += a * (g[k] - s->mean[k]);
        d[k] = g[k] - s->mean[k];
    }
    s->cov[0] += a * (d[0] * d[0] - s->cov[0]);
    s->cov[1] += a * (d[0] * d[1] - s->cov[1]);
    s->cov[2] += a * (d[0] * d[2] - s->cov[2]);
    s->cov[3] += a * (d[1] * d[1] - s->cov[3]);
    s->cov[4] += a * (d[1] * d[2] - s->cov[4]);
    s->cov[5] += a * (d[2] * d[2] - s->cov[5]);
    /* v = C axis. C is positive semi-definite, so v . axis >= 0: the axis never flips sign. */
    v[0] = s->cov[0] * s->axis[0] + s->cov[1] * s->axis[1] + s->cov[2] * s->axis[2];
    v[1] = s->cov[1] * s->axis[0] + s->cov[3] * s->axis[1] + s->cov[4] * s->axis[2];
    v[2] = s->cov[2] * s->axis[0] + s->cov[4] * s->axis[1] + s->cov[5] * s->axis[2];
    nrm2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    if (nrm2 > 1e-20f) {
        const float inv = 1.0f / sqrtf(nrm2);
        for (k = 0; k < 3; ++k) {
            s->axis[k] = v[k] * inv;
        }
    }
}

/* Update the axis sign from the projection raw (deg/s) on the current axis. */
static void update_sign(gn_gyro_hs_state *s, float raw, int still)
{
    if (s->p.placement == GN_PLACEMENT_FOOT) {
        /* Votes once the axis has had half the settling time to converge. */
        if (s->quiet_armed && fabsf(raw) >= s->p.min_peak_dps && 2u * s->n_motion >= s->settle_n) {
            s->vote += (raw < 0.0f) ? 1.0f : -1.0f; /* push-off must come out negative */
            s->vote = fminf(fmaxf(s->vote, -VOTE_LIMIT), VOTE_LIMIT);
            s->quiet_armed = 0u;
            if (s->vote > 0.0f) {
                s->sign = 1.0f;
            } else if (s->vote < 0.0f) {
                s->sign = -1.0f;
            }
        }
        return;
    }
    if (still) {
        return; /* keep the peak estimates through pauses */
    }
    s->pos_peak = fmaxf(s->pos_peak * s->peak_decay, raw);
    s->neg_peak = fmaxf(s->neg_peak * s->peak_decay, -raw);
    if (s->sign > 0.0f && s->neg_peak > SIGN_FLIP_RATIO * s->pos_peak) {
        s->sign = -1.0f;
    } else if (s->sign < 0.0f && s->pos_peak > SIGN_FLIP_RATIO * s->neg_peak) {
        s->sign = 1.0f;
    }
}

/* Mid-swing peak / heel-strike minimum state machine on the signed rate w of sample i.
 * Returns 1 when the minimum at sample i - 1 is an event (written to out). */
static int update_events(gn_gyro_hs_state *s, float w, uint32_t i, gn_hs_event *out)
{
    const float thr = fmaxf(s->p.min_peak_dps, s->p.peak_frac * s->run_peak);
    uint32_t c;
    switch (s->phase) {
    case PHASE_IDLE:
        if (w > thr) {
            s->phase = PHASE_RISE;
            s->peak_val = w;
            s->peak_idx = i;
        }
        return 0;
    case PHASE_RISE:
        if (w >= s->peak_val) {
            s->peak_val = w;
            s->peak_idx = i;
        } else {
            s->phase = PHASE_SEARCH;
        }
        return 0;
    default:
        break;
    }
    if (w > s->peak_val) { /* a higher peak: the swing is not over yet */
        s->phase = PHASE_RISE;
        s->peak_val = w;
        s->peak_idx = i;
        return 0;
    }
    if (i - s->peak_idx > s->search_n) {
        s->phase = PHASE_IDLE; /* no contact found after this peak */
        return 0;
    }
    if (s->n_hist < 2u || !(s->w1 < 0.0f && s->w1 < s->w2 && w >= s->w1)) {
        return 0;
    }
    /* Local minimum of the negative rate at sample i - 1. */
    s->phase = PHASE_IDLE;
    c = i - 1u;
    if (s->has_event && c - s->last_event < s->refractory_n) {
        return 0; /* refractory: the earlier, already announced event stands */
    }
    s->has_event = 1u;
    s->last_event = c;
    if (out != NULL) {
        out->index = c;
        out->frac = gn_parabolic_offset(s->w2, s->w1, w);
        out->value = s->w1;
    }
    return 1;
}

int gn_gyro_hs_push(gn_gyro_hs_state *s, const float gyr_dps[3], gn_hs_event *out)
{
    const uint32_t i = s->n;
    const float still2 = s->p.still_dps * s->p.still_dps;
    float mag2;
    float raw;
    float w;
    int still;
    int emitted = 0;
    s->n = i + 1u; /* wraps after 2^32 samples (497 days at 100 Hz) */
    if (!(isfinite(gyr_dps[0]) && isfinite(gyr_dps[1]) && isfinite(gyr_dps[2]))) {
        gn_gyro_hs_gap(s);
        return 0;
    }
    mag2 = gyr_dps[0] * gyr_dps[0] + gyr_dps[1] * gyr_dps[1] + gyr_dps[2] * gyr_dps[2];
    still = mag2 < still2;
    if (!still) {
        if (s->n_motion < UINT32_MAX) {
            ++s->n_motion;
        }
        update_axis(s, gyr_dps);
    }
    raw = s->axis[0] * gyr_dps[0] + s->axis[1] * gyr_dps[1] + s->axis[2] * gyr_dps[2];
    /* Foot flat: the sagittal rotation pauses (out-of-plane wobble may go on). */
    if (fabsf(raw) < s->p.still_dps) {
        if (s->quiet_run < UINT32_MAX) {
            ++s->quiet_run;
        }
        if (s->quiet_run >= s->quiet_n) {
            s->quiet_armed = 1u;
        }
    } else {
        s->quiet_run = 0u;
    }
    update_sign(s, raw, still);
    w = s->sign * raw;
    s->run_peak = fmaxf(s->run_peak * s->peak_decay, w);
    if (gn_gyro_hs_settled(s)) {
        emitted = update_events(s, w, i, out);
    } else {
        s->phase = PHASE_IDLE;
    }
    s->w2 = s->w1;
    s->w1 = w;
    if (s->n_hist < 2u) {
        ++s->n_hist;
    }
    return emitted;
}

uint32_t gn_gyro_hs_run(gn_gyro_hs_state *s, const float *gyr_dps, const uint8_t *gap_before,
                        uint32_t n, gn_hs_event *events, uint32_t max_events)
{
    uint32_t count = 0u;
    uint32_t k;
    gn_hs_event ev;
    for (k = 0u; k < n; ++k) {
        if (gap_before != NULL && gap_before[k] != 0u) {
            gn_gyro_hs_gap(s);
        }
        if (gn_gyro_hs_push(s, &gyr_dps[3u * k], &ev)) {
            if (count < max_events) {
                events[count] = ev;
            }
            ++count;
        }
    }
    return count;
}

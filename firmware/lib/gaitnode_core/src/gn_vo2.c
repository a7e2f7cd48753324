/* gn_vo2.c - the VO2 estimate stage (see gn_vo2.h). */
#include "gn_vo2.h"

#include <math.h>

#include "gn_acsm.h"

void gn_vo2_default_params(gn_vo2_params *p)
{
    p->rate_hz = 100.0f;
    p->acsm_tau_s = GN_VO2_ACSM_TAU_S;
    p->grade_frac = 0.0f;
    p->model_tau_s = 0.0f;
    p->model_out_scale = 1.0f;
    p->model_out_zero_point = 0;
}

static int tau_ok(float tau)
{
    return tau >= 0.0f && isfinite(tau);
}

int gn_vo2_init(gn_vo2 *v, const gn_vo2_params *p)
{
    if (!(p->rate_hz > 0.0f) || !isfinite(p->rate_hz)) {
        return 1;
    }
    if (!tau_ok(p->acsm_tau_s) || !tau_ok(p->model_tau_s)) {
        return 2;
    }
    if (!(p->model_out_scale > 0.0f) || !isfinite(p->model_out_scale)) {
        return 3;
    }
    if (!(p->grade_frac >= -1.0f && p->grade_frac <= 1.0f)) {
        return 4;
    }
    v->p = *p;
    v->acsm.tau_s = p->acsm_tau_s;
    v->model.tau_s = p->model_tau_s;
    gn_vo2_reset(v);
    return 0;
}

void gn_vo2_reset(gn_vo2 *v)
{
    v->acsm.has = 0u;
    v->acsm.y = 0.0f;
    v->model.has = 0u;
    v->model.y = 0.0f;
    v->model_sum = 0.0f;
    v->model_count = 0u;
    v->model_held = 0.0f;
    v->model_seen = 0u;
    v->has_last = 0u;
    v->last_index = 0u;
}

void gn_vo2_model_output(gn_vo2 *v, int8_t q)
{
    v->model_sum += v->p.model_out_scale * (float)((int32_t)q - v->p.model_out_zero_point);
    ++v->model_count;
}

/* Exact discretisation of tau * dy/dt = x - y over dt with x held. */
static float smooth(gn_vo2_smoother *s, float x, float dt_s)
{
    if (!s->has || s->tau_s <= 0.0f) {
        s->y = x;
        s->has = 1u;
    } else {
        s->y += (1.0f - expf(-dt_s / s->tau_s)) * (x - s->y);
    }
    return s->y;
}

void gn_vo2_estimate(gn_vo2 *v, uint32_t index, const gn_cadence *c, uint8_t sex, float height_m,
                     gn_vo2_result *out)
{
    const float dt_s = v->has_last ? (float)(index - v->last_index) / v->p.rate_hz : 0.0f;
    float stride_s;
    out->has_acsm = 0u;
    out->has_model = 0u;
    out->acsm = out->acsm_raw = 0.0f;
    out->model = out->model_raw = 0.0f;

    if (height_m > 0.0f && isfinite(height_m)) {
        /* not walking: speed 0, the resting 3.5 ml/kg/min */
        const float speed = gn_cadence_stride_at(c, index, &stride_s) ? gn_acsm_speed_m_min(sex, height_m, stride_s)
                                                                      : 0.0f;
        out->acsm_raw = gn_acsm_walk_vo2(speed, v->p.grade_frac);
        out->acsm = smooth(&v->acsm, out->acsm_raw, dt_s);
        out->has_acsm = 1u;
    } else {
        v->acsm.has = 0u; /* starts again from its first value once a height is known */
    }

    if (v->model_count > 0u) {
        v->model_held = v->model_sum / (float)v->model_count;
        v->model_sum = 0.0f;
        v->model_count = 0u;
        v->model_seen = 1u;
    }
    if (v->model_seen) {
        out->model_raw = v->model_held;
        out->model = smooth(&v->model, v->model_held, dt_s);
        out->has_model = 1u;
    }
    v->has_last = 1u;
    v->last_index = index;
}

uint32_t gn_vo2_size(void)
{
    return (uint32_t)sizeof(gn_vo2);
}

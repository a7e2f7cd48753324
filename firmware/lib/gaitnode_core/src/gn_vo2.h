/* gn_vo2.h - the estimate stage for VO2: which estimators have a value, and their smoothing.
 *
 * Two estimators, each with its own first-order smoother:
 * - ACSM (gn_acsm.h): at each estimate, the walking equation on the median stride time of
 *   gn_cadence (one leg's heel strikes) and the subject's sex and height from CONFIG. No value
 *   without a height. A leg that is not walking (no stride yet, or no heel strike for longer than
 *   max_stride_s: gn_cadence_stride_at) is standing: speed 0, VO2 = 3.5 ml/kg/min.
 * - CNN-LSTM: each int8 model output is dequantised (ml/kg/min = out_scale * (q - out_zero_point))
 *   and the outputs of one estimate period are averaged; a period without an output holds the
 *   previous period's mean. No value before the model's first output.
 *
 * Smoothing: y += (1 - exp(-dt / tau)) * (x - y), the exact discretisation of tau * dy/dt = x - y
 * for an input x held over the dt since the previous estimate (dt from the sample indices, so the
 * estimate period may change at any time). The first value of a stream is taken as is. tau = 0
 * passes the input through. ACSM uses GN_VO2_ACSM_TAU_S by default: the equation gives the
 * steady-state cost of a speed at once, while oxygen uptake follows a change of work rate with the
 * phase-II time constant of VO2 kinetics (about 20-40 s in healthy adults), so smoothing with
 * about 30 s turns the steady-state value into the uptake a cart would measure. The CNN-LSTM uses
 * its model's smooth_tau_s (the model dir's model.json).
 *
 * The input is sampled at each estimate and held over the interval before it, so a step of the
 * input inside an interval counts from the interval's start: the smoothed value runs ahead by at
 * most 1 - exp(-period / tau) of the step (15 % with the default 5 s period and 30 s), fading with tau.
 */
#ifndef GN_VO2_H
#define GN_VO2_H

#include <stdint.h>

#include "gn_cadence.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GN_VO2_ACSM_TAU_S 30.0f

typedef struct {
    float rate_hz;               /* sample rate of the indices (Hz); default 100 */
    float acsm_tau_s;            /* ACSM smoothing time constant (s), 0 = none; default GN_VO2_ACSM_TAU_S */
    float grade_frac;            /* grade the ACSM equation assumes (rise / run); default 0: a node
                                    on one leg does not see the slope */
    float model_tau_s;           /* CNN-LSTM smoothing (the model's smooth_tau_s), 0 = none; default 0 */
    float model_out_scale;       /* CNN-LSTM output dequantisation; default 1 */
    int32_t model_out_zero_point; /* default 0 */
} gn_vo2_params;

typedef struct {
    float tau_s;
    float y;     /* smoothed value */
    uint8_t has; /* y holds a value */
} gn_vo2_smoother;

typedef struct {
    gn_vo2_params p;
    gn_vo2_smoother acsm, model;
    float model_sum;      /* dequantised outputs since the last estimate */
    uint32_t model_count;
    float model_held;     /* the last period's mean */
    uint8_t model_seen;   /* an output arrived since init or reset */
    uint8_t has_last;
    uint32_t last_index;  /* sample index of the last estimate */
} gn_vo2;

/* One estimate: which estimators have a value, smoothed and as they came in (ml/kg/min). */
typedef struct {
    uint8_t has_acsm, has_model;
    float acsm, model;         /* smoothed */
    float acsm_raw, model_raw; /* the input of this estimate */
} gn_vo2_result;

void gn_vo2_default_params(gn_vo2_params *p);

/* 0, or 1 (rate_hz not > 0 and finite), 2 (a tau negative or not finite), 3 (model_out_scale not
 * > 0 and finite), 4 (grade_frac not within -1..1). */
int gn_vo2_init(gn_vo2 *v, const gn_vo2_params *p);

/* Forget the stream (mode change): smoothers, pending outputs, last estimate. */
void gn_vo2_reset(gn_vo2 *v);

/* One CNN-LSTM output (the int8 the model wrote). */
void gn_vo2_model_output(gn_vo2 *v, int8_t q);

/* The estimate at sample `index` (increasing): ACSM from the cadence c at that index with the
 * subject's sex (gn_sex) and height (m, 0 = unknown: no ACSM value, and the ACSM smoother starts
 * again once a height is known), and the CNN-LSTM from the outputs since the previous estimate.
 * Advances both smoothers and writes *out. */
void gn_vo2_estimate(gn_vo2 *v, uint32_t index, const gn_cadence *c, uint8_t sex, float height_m,
                     gn_vo2_result *out);

/* sizeof(gn_vo2), for hosts that allocate it outside C. */
uint32_t gn_vo2_size(void);

#ifdef __cplusplus
}
#endif

#endif /* GN_VO2_H */

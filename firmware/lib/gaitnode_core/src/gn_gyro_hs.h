/* gn_gyro_hs.h - classical heel-strike detector on the angular rate of a shank or foot IMU.
 *
 * Streaming, one sample at a time, no heap, float math; the caller owns the state struct.
 *
 * 1. Sagittal axis. The node may sit at any rotation about the limb's long axis, so the
 *    sagittal (medio-lateral) axis is not a fixed sensor axis. It is estimated online as the
 *    principal axis of an exponentially weighted 3x3 covariance of the angular velocity (one
 *    power-iteration step per sample; gait puts almost all the angular-rate variance about the
 *    sagittal axis). Samples with the limb still do not update it, so it survives pauses.
 * 2. Axis sign (the covariance gives the axis, not its sign):
 *    - shank: the mid-swing peak is the largest angular-rate excursion of the gait cycle, so the
 *      sign makes the larger of the running positive/negative peak estimates positive.
 *    - foot: push-off can exceed the mid-swing peak, so the largest excursion cannot be used.
 *      Instead: the first large excursion after the sagittal rate has paused (foot flat) is the
 *      heel rise / push-off, a toes-down (negative) rotation; each such excursion votes for the
 *      sign that makes it negative (votes start after settle_s / 2 of motion, saturate at +-8;
 *      the sign counts as decided at |votes| >= 2).
 *    In both cases the mid-swing peak (toes/ankle swinging forward) is then positive.
 * 3. Events on the signed sagittal rate w (deg/s):
 *    - a mid-swing peak is a local maximum of w above max(min_peak_dps, peak_frac * running
 *      peak), the running peak decaying with peak_tau_s;
 *    - shank (Aminian et al. 2002, J Biomech 35:689; Salarian et al. 2004, IEEE TBME 51:1434):
 *      heel strike = the first local minimum of w after the mid-swing peak, taken where w < 0
 *      (the shank has started to rotate backwards as the leg decelerates into contact);
 *    - foot: heel strike = the first local minimum of the negative dip of w right after swing,
 *      i.e. the same test (first local minimum after the peak where w < 0) on the foot's rate
 *      (the forefoot rotating down about the heel after contact). Gyroscope foot-strike rules of this
 *      kind are among those compared by Mitschke et al. 2017, Appl Sci 7:959; Sabatini et al.
 *      2005, IEEE TBME 52:486 segment strides on the same foot sagittal rate);
 *    - the minimum must come within max_search_s of the peak; an event closer than refractory_s
 *      to the previous emitted one is dropped (the earlier one wins: it has been announced).
 *    - the event time is refined by a parabola through the minimum and its neighbours.
 * 4. No events before the axis estimate has settled (settle_s of motion and a decided sign),
 *    none while still (no peak exceeds min_peak_dps). A gap (gn_gyro_hs_gap, or a non-finite
 *    sample) cancels a search in progress: no extremum is taken across missing samples.
 */
#ifndef GN_GYRO_HS_H
#define GN_GYRO_HS_H

#include <stdint.h>

#include "gn_hs_event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GN_PLACEMENT_SHANK = 0,
    GN_PLACEMENT_FOOT = 1
} gn_placement;

/* Parameters (units in brackets). gn_gyro_hs_default_params fills the defaults given here. */
typedef struct {
    int32_t placement;    /* gn_placement: GN_PLACEMENT_SHANK or GN_PLACEMENT_FOOT */
    float rate_hz;        /* [Hz] sample rate, 10..2000; default 100 */
    float axis_tau_s;     /* [s] time constant of the angular-rate covariance; default 4 */
    float settle_s;       /* [s] of motion before the first event may be emitted; default 2 */
    float still_dps;      /* [deg/s] |angular rate| below this is "still"; default 20 */
    float quiet_s;        /* [s] sagittal rate below still_dps this long = foot flat (foot sign); default 0.08 */
    float min_peak_dps;   /* [deg/s] absolute floor of the mid-swing peak threshold; default 60 */
    float peak_frac;      /* [1] mid-swing peak threshold as a fraction of the running peak; default 0.4 */
    float peak_tau_s;     /* [s] decay time constant of the running peak estimates; default 5 */
    float max_search_s;   /* [s] longest time from the mid-swing peak to the heel strike; default 0.6 */
    float refractory_s;   /* [s] shortest time between two emitted heel strikes; default 0.4 */
} gn_gyro_hs_params;

/* Detector state: treat as opaque; sized at compile time, owned by the caller. */
typedef struct {
    gn_gyro_hs_params p;
    /* derived from p at init */
    float cov_alpha;      /* EW weight of one sample in the covariance */
    float peak_decay;     /* per-sample decay factor of the peak estimates */
    uint32_t settle_n;    /* motion samples needed before events */
    uint32_t quiet_n;     /* still samples that make a foot flat */
    uint32_t search_n;    /* max samples from peak to heel strike */
    uint32_t refractory_n;/* min samples between events */
    /* sagittal axis estimate */
    float mean[3];        /* deg/s */
    float cov[6];         /* (deg/s)^2: xx, xy, xz, yy, yz, zz */
    float axis[3];        /* unit vector, sensor frame */
    float sign;           /* +1 or -1 applied to the projection on axis */
    float pos_peak;       /* deg/s, running max of +projection (shank sign) */
    float neg_peak;       /* deg/s, running max of -projection (shank sign) */
    float vote;           /* foot sign votes, + for the current axis direction */
    float run_peak;       /* deg/s, running max of the signed rate (mid-swing peak scale) */
    uint32_t n_motion;    /* samples with motion seen so far (saturating) */
    uint32_t quiet_run;   /* consecutive still samples */
    uint8_t quiet_armed;  /* a foot flat has been seen and not voted on yet */
    /* event search */
    uint8_t phase;        /* 0 idle, 1 rising to a peak, 2 searching the minimum */
    uint8_t n_hist;       /* valid contiguous previous samples in w1, w2 (0..2) */
    uint8_t has_event;    /* last_event is valid */
    float w1;             /* signed rate at the previous sample, deg/s */
    float w2;             /* signed rate two samples back, deg/s */
    float peak_val;       /* deg/s, current mid-swing peak candidate */
    uint32_t peak_idx;    /* its sample index */
    uint32_t last_event;  /* index of the last emitted event */
    uint32_t n;           /* index the next pushed sample gets */
} gn_gyro_hs_state;

/* Fill p with the defaults for a placement (GN_PLACEMENT_SHANK / GN_PLACEMENT_FOOT). */
void gn_gyro_hs_default_params(gn_gyro_hs_params *p, int32_t placement);

/* Check p; returns 0 when valid, else the 1-based position of the first bad field in the struct
 * (1 placement, 2 rate_hz, ...). */
int gn_gyro_hs_check_params(const gn_gyro_hs_params *p);

/* Initialise s with p. Returns 0, or the gn_gyro_hs_check_params code (s is then unusable). */
int gn_gyro_hs_init(gn_gyro_hs_state *s, const gn_gyro_hs_params *p);

/* Push one sample: gyr_dps = angular velocity [deg/s] in the sensor frame (x, y, z). A sample with
 * a non-finite component counts as a missing sample (it gets an index, and acts as a gap).
 * Returns 1 and fills *out when a heel strike is emitted (out may be NULL to discard it), else 0.
 * The event refers to an earlier sample (index < current): at least one sample of latency. */
int gn_gyro_hs_push(gn_gyro_hs_state *s, const float gyr_dps[3], gn_hs_event *out);

/* Tell the detector that samples are missing before the next push (a transport gap): a search in
 * progress is cancelled; the axis estimate and the sample counter are kept. */
void gn_gyro_hs_gap(gn_gyro_hs_state *s);

/* sizeof(gn_gyro_hs_state), for hosts that allocate the state outside C (language bindings). */
uint32_t gn_gyro_hs_state_size(void);

/* 1 once the axis estimate has settled (events can be emitted), else 0. */
int gn_gyro_hs_settled(const gn_gyro_hs_state *s);

/* Batch helper for hosts: push n samples (gyr_dps: n x 3, row-major, deg/s). gap_before may be NULL,
 * else gap_before[i] != 0 calls gn_gyro_hs_gap before sample i. Writes up to max_events events to
 * events and returns how many were emitted in total (may exceed max_events: the rest are lost). */
uint32_t gn_gyro_hs_run(gn_gyro_hs_state *s, const float *gyr_dps, const uint8_t *gap_before,
                        uint32_t n, gn_hs_event *events, uint32_t max_events);

#ifdef __cplusplus
}
#endif

#endif /* GN_GYRO_HS_H */

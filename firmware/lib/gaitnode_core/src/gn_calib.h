/* gn_calib.h - static-pose calibration: align the sensor frame to gravity on the device.
 *
 * The node stands still for n_samples; the mean specific force is gravity seen in the sensor frame.
 * The result is the smallest rotation R (Rodrigues) that turns that direction into `target`, the
 * gravity direction of the frame the models were trained in (the simulator's segment frame: y
 * along the segment, up, so target = (0, 1, 0) for shank and foot). Rotation about gravity (yaw)
 * is not observable from a static pose and is left as mounted. Calibration fails, and R stays as
 * it was, when the node moved (gyro or accelerometer spread too large) or |g| is implausible.
 * A sample with |gyr| > max_gyr_dps (or a non-finite acc) fails the pose at once; the acc spread
 * and |g| are judged when n_samples have been pushed.
 */
#ifndef GN_CALIB_H
#define GN_CALIB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t n_samples;    /* samples averaged; default 100 (1 s at 100 Hz) */
    float max_gyr_dps;     /* largest |gyr| allowed while still; default 10 deg/s */
    float max_acc_std;     /* largest per-axis std of acc while still; default 0.3 m/s^2 */
    float min_g, max_g;    /* plausible |mean acc| in m/s^2; default 8.0 .. 11.6 */
    float target[3];       /* unit gravity direction after calibration; default (0, 1, 0) */
} gn_calib_params;

typedef enum {
    GN_CALIB_BUSY = 0,        /* still collecting */
    GN_CALIB_DONE = 1,        /* rotation available */
    GN_CALIB_MOVED = 2,       /* failed: motion during the pose */
    GN_CALIB_BAD_GRAVITY = 3  /* failed: |g| outside [min_g, max_g] */
} gn_calib_status;

typedef struct {
    gn_calib_params p;
    uint32_t n;
    float ref[3];           /* first acc sample: sums are taken about it (accurate variance in float) */
    float sum[3], sum_sq[3]; /* of acc - ref */
    float max_gyr;          /* largest |gyr| seen (deg/s) */
    gn_calib_status status;
    float gravity[3];   /* mean specific force (m/s^2), valid after the pose */
    float rot[3][3];    /* valid when status == GN_CALIB_DONE */
} gn_calib_state;

void gn_calib_default_params(gn_calib_params *p);

/* 0 when valid, else 1 (n_samples 0 or > 100000), 2 (thresholds not > 0 or min_g >= max_g), 3 (|target| not ~1). */
int gn_calib_check_params(const gn_calib_params *p);

/* Start a calibration; returns 0 or the check code. */
int gn_calib_start(gn_calib_state *s, const gn_calib_params *p);

/* Push one calibrated-units sample (acc m/s^2, gyr deg/s, sensor frame). Returns the status; once
 * it is not GN_CALIB_BUSY, further pushes change nothing and return it again. */
gn_calib_status gn_calib_push(gn_calib_state *s, const float acc[3], const float gyr[3]);

/* r = identity. */
void gn_rot_identity(float r[3][3]);

/* out = r * v (out may not alias v). */
void gn_rot_apply(const float r[3][3], const float v[3], float out[3]);

/* r = the smallest rotation taking unit(from) to unit(to) (Rodrigues: about from x to, by the angle
 * between them); identity when either is ~0 or not finite. Antiparallel vectors get a 180-degree
 * turn about an axis perpendicular to `from`. */
void gn_rot_between(const float from[3], const float to[3], float r[3][3]);

#ifdef __cplusplus
}
#endif

#endif /* GN_CALIB_H */

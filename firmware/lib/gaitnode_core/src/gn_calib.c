/* gn_calib.c - static-pose calibration (see gn_calib.h). */
#include "gn_calib.h"

#include <math.h>

#define NEAR_ZERO 1e-6f       /* |v| below this has no direction */
#define WIDE 1.0f            /* |unit(from) + unit(to)| below this (angle > 120 degrees): via a half-turn */
#define UNIT_TOL 1e-3f        /* | |target| - 1 | allowed */
#define MAX_SAMPLES 100000u   /* float sums stay accurate well below 2^24 samples */

void gn_calib_default_params(gn_calib_params *p)
{
    p->n_samples = 100u;
    p->max_gyr_dps = 10.0f;
    p->max_acc_std = 0.3f;
    p->min_g = 8.0f;
    p->max_g = 11.6f;
    p->target[0] = 0.0f;
    p->target[1] = 1.0f;
    p->target[2] = 0.0f;
}

static float norm3(const float v[3])
{
    return sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

int gn_calib_check_params(const gn_calib_params *p)
{
    float t;
    if (p->n_samples == 0u || p->n_samples > MAX_SAMPLES) {
        return 1;
    }
    /* written so that NaN fails every test */
    if (!(p->max_gyr_dps > 0.0f && p->max_acc_std > 0.0f && p->min_g > 0.0f && p->min_g < p->max_g &&
          isfinite(p->max_gyr_dps) && isfinite(p->max_acc_std) && isfinite(p->max_g))) {
        return 2;
    }
    t = norm3(p->target);
    if (!(fabsf(t - 1.0f) <= UNIT_TOL)) {
        return 3;
    }
    return 0;
}

void gn_rot_identity(float r[3][3])
{
    int i, j;
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            r[i][j] = (i == j) ? 1.0f : 0.0f;
        }
    }
}

int gn_calib_start(gn_calib_state *s, const gn_calib_params *p)
{
    const int err = gn_calib_check_params(p);
    int k;
    if (err != 0) {
        return err;
    }
    s->p = *p;
    s->n = 0u;
    for (k = 0; k < 3; ++k) {
        s->ref[k] = 0.0f;
        s->sum[k] = 0.0f;
        s->sum_sq[k] = 0.0f;
        s->gravity[k] = 0.0f;
    }
    s->max_gyr = 0.0f;
    s->status = GN_CALIB_BUSY;
    gn_rot_identity(s->rot);
    return 0;
}

/* The pose is complete: decide, and compute the rotation. */
static gn_calib_status finish(gn_calib_state *s)
{
    const float n = (float)s->n;
    float g;
    int k;
    for (k = 0; k < 3; ++k) {
        const float m = s->sum[k] / n; /* mean about ref */
        const float var = s->sum_sq[k] / n - m * m;
        s->gravity[k] = s->ref[k] + m;
        if (!(var <= s->p.max_acc_std * s->p.max_acc_std)) {
            return GN_CALIB_MOVED;
        }
    }
    g = norm3(s->gravity);
    if (!(g >= s->p.min_g && g <= s->p.max_g)) {
        return GN_CALIB_BAD_GRAVITY;
    }
    gn_rot_between(s->gravity, s->p.target, s->rot);
    return GN_CALIB_DONE;
}

gn_calib_status gn_calib_push(gn_calib_state *s, const float acc[3], const float gyr[3])
{
    const float gyr2 = gyr[0] * gyr[0] + gyr[1] * gyr[1] + gyr[2] * gyr[2];
    int k;
    if (s->status != GN_CALIB_BUSY) {
        return s->status;
    }
    /* any fast or non-finite sample fails at once: no need to wait for the end of the pose */
    if (!(gyr2 <= s->p.max_gyr_dps * s->p.max_gyr_dps) ||
        !(isfinite(acc[0]) && isfinite(acc[1]) && isfinite(acc[2]))) {
        s->status = GN_CALIB_MOVED;
        return s->status;
    }
    if (gyr2 > s->max_gyr * s->max_gyr) {
        s->max_gyr = sqrtf(gyr2);
    }
    if (s->n == 0u) {
        for (k = 0; k < 3; ++k) {
            s->ref[k] = acc[k];
        }
    }
    for (k = 0; k < 3; ++k) {
        const float d = acc[k] - s->ref[k];
        s->sum[k] += d;
        s->sum_sq[k] += d * d;
    }
    ++s->n;
    if (s->n >= s->p.n_samples) {
        s->status = finish(s);
    }
    return s->status;
}

void gn_rot_apply(const float r[3][3], const float v[3], float out[3])
{
    int i;
    for (i = 0; i < 3; ++i) {
        out[i] = r[i][0] * v[0] + r[i][1] * v[1] + r[i][2] * v[2];
    }
}

/* Unit vector of v into out; 0 when |v| is ~0 (out untouched then). */
static int unit(const float v[3], float out[3])
{
    const float n = norm3(v);
    int k;
    if (!(n > NEAR_ZERO)) {
        return 0;
    }
    for (k = 0; k < 3; ++k) {
        out[k] = v[k] / n;
    }
    return 1;
}

static void cross(const float a[3], const float b[3], float out[3])
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* The smallest rotation from unit a to unit b when they are at most ~120 degrees apart
 * (|a + b| >= WIDE): the Rodrigues rotation about a x b equals two half-turns, about a and then
 * about the half-way direction u: R = H_u H_a = I - 2 u u^T - 2 a a^T + 4 (u.a) u a^T, with
 * H_n = 2 n n^T - I. Unlike I + [v]x + [v]x^2 / (1 + cos) it divides by nothing small. */
static void rot_between_units(const float a[3], const float b[3], float r[3][3])
{
    float h[3], u[3], ua;
    int i, j;
    for (i = 0; i < 3; ++i) {
        h[i] = a[i] + b[i];
    }
    (void)unit(h, u); /* |h| >= WIDE */
    ua = u[0] * a[0] + u[1] * a[1] + u[2] * a[2];
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            r[i][j] = ((i == j) ? 1.0f : 0.0f) - 2.0f * u[i] * u[j] - 2.0f * a[i] * a[j] + 4.0f * ua * u[i] * a[j];
        }
    }
}

void gn_rot_between(const float from[3], const float to[3], float r[3][3])
{
    float a[3], b[3], h[3], n[3], u[3], na[3], r2[3][3];
    int i, j;
    if (!(unit(from, a) && unit(to, b))) {
        gn_rot_identity(r);
        return;
    }
    for (i = 0; i < 3; ++i) {
        h[i] = a[i] + b[i];
    }
    if (norm3(h) >= WIDE) {
        rot_between_units(a, b, r);
        return;
    }
    /* Wide angle: first a half-turn H_u about the common normal u = unit(a x b) (a -> -a), then the
     * small rotation from -a to b about the same normal; together the rotation by the angle about
     * a x b, without the cancellation of a + b. Antiparallel (no normal): u = a x e, e the basis
     * vector least aligned with a. */
    cross(a, b, n);
    {
        /* a x b is tiny near antiparallel: remove the rounding error's component along a, so that
         * H_u really turns a into -a */
        const float na_dot = n[0] * a[0] + n[1] * a[1] + n[2] * a[2];
        for (i = 0; i < 3; ++i) {
            n[i] -= na_dot * a[i];
        }
    }
    if (!unit(n, u)) {
        const float ax = fabsf(a[0]), ay = fabsf(a[1]), az = fabsf(a[2]);
        float e[3] = {0.0f, 0.0f, 0.0f};
        if (ax <= ay && ax <= az) {
            e[0] = 1.0f;
        } else if (ay <= az) {
            e[1] = 1.0f;
        } else {
            e[2] = 1.0f;
        }
        cross(a, e, n);
        (void)unit(n, u); /* |a x e| >= sqrt(2/3) */
    }
    for (i = 0; i < 3; ++i) {
        na[i] = -a[i];
    }
    rot_between_units(na, b, r2);
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            /* (r2 H_u)[i][j] = 2 (r2 u)_i u_j - r2[i][j] */
            const float r2u = r2[i][0] * u[0] + r2[i][1] * u[1] + r2[i][2] * u[2];
            r[i][j] = 2.0f * r2u * u[j] - r2[i][j];
        }
    }
}

/* test_calib.c - static-pose calibration and the rotation helpers (gn_calib). */
#include <math.h>
#include <stdint.h>

#include "gn_calib.h"
#include "gn_test.h"

static const float zero3[3] = {0.0f, 0.0f, 0.0f};

/* Small deterministic noise in [-a, a] (no rand(): the same on every target). */
static float noise(uint32_t *state, float a)
{
    *state = *state * 1664525u + 1013904223u;
    return a * ((float)(*state >> 8) / 8388608.0f - 1.0f);
}

/* Checks that r is a rotation (orthonormal, det +1) and maps unit(g) onto target. */
static void check_rotation(float r[3][3], const float g[3], const float target[3])
{
    float out[3], n, det;
    int i, j, k;
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            float d = 0.0f;
            for (k = 0; k < 3; ++k) {
                d += r[k][i] * r[k][j];
            }
            GN_CHECK_NEAR(d, i == j ? 1.0 : 0.0, 1e-5);
        }
    }
    det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
          r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    GN_CHECK_NEAR(det, 1.0, 1e-5);
    gn_rot_apply((const float(*)[3])r, g, out);
    n = sqrtf(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    for (k = 0; k < 3; ++k) {
        GN_CHECK_NEAR(out[k] / n, target[k], 1e-5);
    }
}

/* Runs a still pose with gravity g (plus small noise) through a default calibration. */
static gn_calib_status still_pose(gn_calib_state *s, const float g[3], float acc_noise, float gyr_noise)
{
    gn_calib_params p;
    gn_calib_status st = GN_CALIB_BUSY;
    uint32_t seed = 7u, k;
    gn_calib_default_params(&p);
    GN_CHECK_EQ_INT(gn_calib_start(s, &p), 0);
    for (k = 0u; k < p.n_samples; ++k) {
        float acc[3], gyr[3];
        int i;
        for (i = 0; i < 3; ++i) {
            acc[i] = g[i] + noise(&seed, acc_noise);
            gyr[i] = noise(&seed, gyr_noise);
        }
        GN_CHECK_EQ_INT(st, GN_CALIB_BUSY); /* busy until the last sample */
        st = gn_calib_push(s, acc, gyr);
    }
    return st;
}

static void test_known_rotations_are_recovered(void)
{
    static const float cases[][3] = {
        {9.81f, 0.0f, 0.0f},   /* gravity along x */
        {0.0f, 0.0f, 9.81f},   /* along z */
        {0.0f, -9.81f, 0.0f},  /* along -y: antiparallel to the target */
        {0.0f, 9.81f, 0.0f},   /* already aligned */
        {3.0f, -5.0f, 7.9f},   /* a general tilt */
        {1e-3f, -9.81f, 2e-3f} /* almost antiparallel */
    };
    static gn_calib_state s;
    size_t c;
    for (c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        GN_CHECK_EQ_INT(still_pose(&s, cases[c], 0.05f, 1.0f), GN_CALIB_DONE);
        GN_CHECK_EQ_INT(s.status, GN_CALIB_DONE);
        GN_CHECK_NEAR(s.gravity[0], cases[c][0], 0.02);
        GN_CHECK_NEAR(s.gravity[1], cases[c][1], 0.02);
        GN_CHECK_NEAR(s.gravity[2], cases[c][2], 0.02);
        check_rotation(s.rot, s.gravity, s.p.target);
    }
}

static void test_aligned_gravity_gives_identity(void)
{
    static gn_calib_state s;
    const float g[3] = {0.0f, 9.81f, 0.0f};
    int i, j;
    GN_CHECK_EQ_INT(still_pose(&s, g, 0.0f, 0.0f), GN_CALIB_DONE);
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            GN_CHECK_NEAR(s.rot[i][j], i == j ? 1.0 : 0.0, 1e-6);
        }
    }
}

static void test_smallest_rotation_leaves_the_common_normal_alone(void)
{
    /* x -> y is a quarter turn about z: z stays, and y goes to -x */
    const float x[3] = {2.0f, 0.0f, 0.0f}, y[3] = {0.0f, 3.0f, 0.0f}, z[3] = {0.0f, 0.0f, 1.0f};
    float r[3][3], out[3];
    gn_rot_between(x, y, r);
    gn_rot_apply((const float(*)[3])r, z, out);
    GN_CHECK_NEAR(out[0], 0.0, 1e-6);
    GN_CHECK_NEAR(out[1], 0.0, 1e-6);
    GN_CHECK_NEAR(out[2], 1.0, 1e-6);
    gn_rot_apply((const float(*)[3])r, y, out);
    GN_CHECK_NEAR(out[0], -3.0, 1e-6);
    GN_CHECK_NEAR(out[1], 0.0, 1e-6);
    /* antiparallel: a half-turn, so from maps to -from */
    {
        const float a[3] = {0.3f, -0.4f, 0.5f}, b[3] = {-0.6f, 0.8f, -1.0f};
        float v[3];
        gn_rot_between(a, b, r);
        gn_rot_apply((const float(*)[3])r, a, v);
        GN_CHECK_NEAR(v[0], -0.3, 1e-6);
        GN_CHECK_NEAR(v[1], 0.4, 1e-6);
        GN_CHECK_NEAR(v[2], -0.5, 1e-6);
        check_rotation(r, a, (const float[3]){-0.6f / sqrtf(2.0f), 0.8f / sqrtf(2.0f), -1.0f / sqrtf(2.0f)});
    }
    /* nearly antiparallel, with a cross product of the size of the rounding error */
    {
        static const float tiny[][3] = {{3e-6f, -1.0f, 2e-6f}, {-1e-7f, -2.0f, 0.0f}, {0.0f, -1.0f, 4e-4f}};
        static const float tilted[][3] = {{-0.36f, -0.48f + 3e-6f, -0.8f}, {-0.36f, -0.48f, -0.8f + 1e-6f},
                                          {-0.36f + 2e-4f, -0.48f, -0.8f}};
        const float up[3] = {0.0f, 1.0f, 0.0f}, t[3] = {0.36f, 0.48f, 0.8f};
        size_t c;
        for (c = 0; c < sizeof tiny / sizeof tiny[0]; ++c) {
            gn_rot_between(tiny[c], up, r);
            check_rotation(r, tiny[c], up);
            gn_rot_between(tilted[c], t, r);
            check_rotation(r, tilted[c], t);
        }
    }
    /* a zero vector has no direction: identity */
    gn_rot_between(zero3, y, r);
    GN_CHECK_NEAR(r[0][0], 1.0, 0.0);
    GN_CHECK_NEAR(r[0][1], 0.0, 0.0);
    GN_CHECK_NEAR(r[1][1], 1.0, 0.0);
}

static void test_motion_is_rejected(void)
{
    static gn_calib_state s;
    const float g[3] = {0.0f, 9.81f, 0.0f};
    gn_calib_params p;
    const float fast[3] = {0.0f, 0.0f, 30.0f};
    uint32_t k;
    /* shaking accelerometer: the spread is judged at the end of the pose */
    GN_CHECK_EQ_INT(still_pose(&s, g, 2.0f, 0.0f), GN_CALIB_MOVED);
    /* one fast gyro sample fails the pose at once */
    gn_calib_default_params(&p);
    GN_CHECK_EQ_INT(gn_calib_start(&s, &p), 0);
    for (k = 0u; k < 10u; ++k) {
        GN_CHECK_EQ_INT(gn_calib_push(&s, g, zero3), GN_CALIB_BUSY);
    }
    GN_CHECK_EQ_INT(gn_calib_push(&s, g, fast), GN_CALIB_MOVED);
    GN_CHECK_EQ_INT(gn_calib_push(&s, g, zero3), GN_CALIB_MOVED); /* stays failed */
    /* gyro noise under the limit is fine */
    GN_CHECK_EQ_INT(still_pose(&s, g, 0.0f, 5.0f), GN_CALIB_DONE);
}

static void test_implausible_gravity_is_rejected(void)
{
    static gn_calib_state s;
    const float weak[3] = {0.0f, 5.0f, 0.0f}, strong[3] = {9.0f, 9.0f, 0.0f};
    GN_CHECK_EQ_INT(still_pose(&s, weak, 0.01f, 0.0f), GN_CALIB_BAD_GRAVITY);
    GN_CHECK_NEAR(s.gravity[1], 5.0, 0.01); /* the measured mean is reported */
    GN_CHECK_EQ_INT(still_pose(&s, strong, 0.01f, 0.0f), GN_CALIB_BAD_GRAVITY);
    /* the rotation of a failed pose stays identity */
    GN_CHECK_NEAR(s.rot[0][0], 1.0, 0.0);
    GN_CHECK_NEAR(s.rot[0][1], 0.0, 0.0);
}

static void test_params_are_checked(void)
{
    static gn_calib_state s;
    gn_calib_params p, q;
    gn_calib_default_params(&p);
    GN_CHECK_EQ_INT(p.n_samples, 100);
    GN_CHECK_EQ_INT(gn_calib_check_params(&p), 0);
    q = p;
    q.n_samples = 0u;
    GN_CHECK_EQ_INT(gn_calib_check_params(&q), 1);
    GN_CHECK_EQ_INT(gn_calib_start(&s, &q), 1);
    q = p;
    q.max_gyr_dps = 0.0f;
    GN_CHECK_EQ_INT(gn_calib_check_params(&q), 2);
    q = p;
    q.max_acc_std = NAN;
    GN_CHECK_EQ_INT(gn_calib_check_params(&q), 2);
    q = p;
    q.min_g = 12.0f;
    GN_CHECK_EQ_INT(gn_calib_check_params(&q), 2);
    q = p;
    q.target[1] = 0.5f;
    GN_CHECK_EQ_INT(gn_calib_check_params(&q), 3);
    q = p;
    q.target[0] = 0.6f;
    q.target[1] = 0.0f;
    q.target[2] = -0.8f;
    GN_CHECK_EQ_INT(gn_calib_check_params(&q), 0);
}

int main(void)
{
    GN_RUN(test_known_rotations_are_recovered);
    GN_RUN(test_aligned_gravity_gives_identity);
    GN_RUN(test_smallest_rotation_leaves_the_common_normal_alone);
    GN_RUN(test_motion_is_rejected);
    GN_RUN(test_implausible_gravity_is_rejected);
    GN_RUN(test_params_are_checked);
    return gn_test_finish("calib");
}

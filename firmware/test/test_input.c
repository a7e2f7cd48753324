/* test_input.c - raw counts -> physical units -> int8 model input (gn_input). */
#include <math.h>
#include <stdint.h>

#include "gn_input.h"
#include "gn_test.h"

static void test_scale_from_ranges(void)
{
    gn_scale s;
    GN_CHECK_EQ_INT(gn_scale_from_ranges(&s, 16.0f, 2000.0f, 4900.0f), 0);
    GN_CHECK_NEAR(s.acc_per_lsb, 16.0 * 9.80665 / 32768.0, 1e-9);
    GN_CHECK_NEAR(s.gyr_per_lsb, 2000.0 / 32768.0, 1e-9);
    GN_CHECK_NEAR(s.mag_per_lsb, 4900.0 / 32768.0, 1e-9);
    GN_CHECK_EQ_INT(gn_scale_from_ranges(&s, 0.0f, 2000.0f, 4900.0f), 1);
    GN_CHECK_EQ_INT(gn_scale_from_ranges(&s, 16.0f, -1.0f, 4900.0f), 1);
    GN_CHECK_EQ_INT(gn_scale_from_ranges(&s, 16.0f, 2000.0f, NAN), 1);
    GN_CHECK_EQ_INT(gn_scale_from_ranges(&s, INFINITY, 2000.0f, 4900.0f), 1);
}

static void test_physical_units_and_rotation_per_triad(void)
{
    gn_scale s;
    const int16_t raw[GN_AXES] = {16384, 0, -8192, 0, 32767, -32768, 100, 200, 300};
    /* a quarter turn about z: (x, y, z) -> (-y, x, z) */
    const float rot[3][3] = {{0.0f, -1.0f, 0.0f}, {1.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}};
    float phys[GN_AXES], turned[GN_AXES];
    int t;
    GN_CHECK_EQ_INT(gn_scale_from_ranges(&s, 4.0f, 1000.0f, 1000.0f), 0);
    gn_input_physical(&s, NULL, raw, phys);
    GN_CHECK_NEAR(phys[0], 2.0 * 9.80665, 1e-5); /* half of +-4 g */
    GN_CHECK_NEAR(phys[1], 0.0, 0.0);
    GN_CHECK_NEAR(phys[2], -9.80665, 1e-5);
    GN_CHECK_NEAR(phys[4], 32767.0 * 1000.0 / 32768.0, 1e-3);
    GN_CHECK_NEAR(phys[5], -1000.0, 1e-3);
    GN_CHECK_NEAR(phys[6], 100.0 * 1000.0 / 32768.0, 1e-5);
    gn_input_physical(&s, rot, raw, turned);
    for (t = 0; t < GN_AXES; t += 3) { /* the same rotation applied to acc, gyr and mag */
        GN_CHECK_NEAR(turned[t + 0], -phys[t + 1], 1e-5);
        GN_CHECK_NEAR(turned[t + 1], phys[t + 0], 1e-5);
        GN_CHECK_NEAR(turned[t + 2], phys[t + 2], 1e-5);
    }
}

/* A 3-channel model reading gyr z, acc x, mag y. */
static gn_quant_params params(void)
{
    gn_quant_params q;
    int c;
    for (c = 0; c < GN_MAX_CHANNELS; ++c) {
        q.channel[c] = 0u;
        q.mean[c] = 0.0f;
        q.std[c] = 1.0f;
    }
    q.n_channels = 3u;
    q.channel[0] = GN_GYR + 2;
    q.channel[1] = GN_ACC + 0;
    q.channel[2] = GN_MAG + 1;
    q.mean[0] = 10.0f;
    q.std[0] = 2.0f;
    q.scale = 0.5f;
    q.zero_point = -3;
    return q;
}

static void test_channel_selection_normalisation_and_rounding(void)
{
    gn_quant_params q = params();
    float phys[GN_AXES] = {0};
    int8_t out[GN_MAX_CHANNELS];
    GN_CHECK_EQ_INT(gn_quant_check(&q), 0);
    phys[GN_GYR + 2] = 13.0f; /* (13 - 10) / 2 = 1.5 -> 1.5 / 0.5 = 3 -> 0 */
    phys[GN_ACC + 0] = 1.25f; /* 1.25 / 0.5 = 2.5: a half rounds away from zero -> 3 -> 0 */
    phys[GN_MAG + 1] = -1.25f; /* -2.5 -> -3 -> -6 */
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[0], 0);
    GN_CHECK_EQ_INT(out[1], 0);
    GN_CHECK_EQ_INT(out[2], -6);
    phys[GN_ACC + 0] = 0.75f;  /* 1.5 -> 2 -> -1 */
    phys[GN_MAG + 1] = -0.25f; /* -0.5 -> -1 -> -4 */
    phys[GN_GYR + 2] = 10.0f;  /* exactly the mean -> zero point */
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[0], -3);
    GN_CHECK_EQ_INT(out[1], -1);
    GN_CHECK_EQ_INT(out[2], -4);
    phys[GN_ACC + 0] = 0.74f;  /* 1.48 -> 1 -> -2 */
    phys[GN_MAG + 1] = -0.26f; /* -0.52 -> -1 -> -4 */
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[1], -2);
    GN_CHECK_EQ_INT(out[2], -4);
    /* channels the model does not read change nothing */
    phys[GN_ACC + 1] = 1000.0f;
    phys[GN_GYR + 0] = -1000.0f;
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[1], -2);
}

static void test_clamping(void)
{
    gn_quant_params q = params();
    float phys[GN_AXES] = {0};
    int8_t out[GN_MAX_CHANNELS];
    phys[GN_GYR + 2] = 10.0f + 2.0f * 65.0f; /* 130 / 0.5 ... x_norm 65 -> 130 - 3 = 127: just fits */
    phys[GN_ACC + 0] = 65.5f;                /* 131 - 3 = 128 -> 127 */
    phys[GN_MAG + 1] = -62.5f;               /* -125 - 3 = -128: just fits */
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[0], 127);
    GN_CHECK_EQ_INT(out[1], 127);
    GN_CHECK_EQ_INT(out[2], -128);
    phys[GN_MAG + 1] = -63.0f; /* -129 -> -128 */
    phys[GN_ACC + 0] = 1e30f;  /* far out */
    phys[GN_GYR + 2] = -1e30f;
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[0], -128);
    GN_CHECK_EQ_INT(out[1], 127);
    GN_CHECK_EQ_INT(out[2], -128);
}

static void test_rounding_is_decided_on_the_real_quotient(void)
{
    /* x = 0.5f and scale = 0.2f: the float quotient 0.5f / 0.2f rounds to exactly 2.5f, but the
     * real quotient of the two floats is just below 2.5 (0.2f is a little above 0.2), so it
     * rounds to 2 (roundf(x / s) would give 3); the same for 0.7f -> 3 */
    gn_quant_params q = params();
    float phys[GN_AXES] = {0};
    int8_t out[GN_MAX_CHANNELS];
    volatile float x = 0.5f, s = 0.2f;
    GN_CHECK((double)x < 2.5 * (double)s);
    GN_CHECK(x / s == 2.5f);
    q.scale = 0.2f;
    q.zero_point = 0;
    phys[GN_ACC + 0] = 0.5f;
    phys[GN_MAG + 1] = -0.7f;
    gn_input_quantize(&q, phys, out);
    GN_CHECK_EQ_INT(out[1], 2);
    GN_CHECK_EQ_INT(out[2], -3);
}

static void test_params_are_checked(void)
{
    gn_quant_params q;
    q = params();
    q.n_channels = 0u;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 1);
    q.n_channels = GN_MAX_CHANNELS + 1;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 1);
    q = params();
    q.channel[2] = 9u;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 2);
    q = params();
    q.std[1] = 0.0f;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 3);
    q = params();
    q.std[0] = INFINITY;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 3);
    q = params();
    q.mean[2] = NAN;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 3);
    q = params();
    q.scale = -0.1f;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 4);
    q = params();
    q.zero_point = 128;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 5);
    q.zero_point = -129;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 5);
    q.zero_point = -128;
    GN_CHECK_EQ_INT(gn_quant_check(&q), 0);
}

int main(void)
{
    GN_RUN(test_scale_from_ranges);
    GN_RUN(test_physical_units_and_rotation_per_triad);
    GN_RUN(test_channel_selection_normalisation_and_rounding);
    GN_RUN(test_clamping);
    GN_RUN(test_rounding_is_decided_on_the_real_quotient);
    GN_RUN(test_params_are_checked);
    return gn_test_finish("input");
}

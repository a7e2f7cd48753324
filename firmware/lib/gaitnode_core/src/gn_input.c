/* gn_input.c - raw counts -> physical units -> int8 model input (see gn_input.h). */
#include "gn_input.h"

#include <math.h>
#include <stddef.h>

#define G_STD 9.80665f    /* m/s^2 per g */
#define FULL_SCALE 32768.0f
#define BIG_QUOTIENT 1024.0f /* |x / scale| at or above this clamps whatever the zero point */

/* 1 when x > 0 and finite. */
static int positive(float x)
{
    return x > 0.0f && isfinite(x);
}

int gn_scale_from_ranges(gn_scale *s, float acc_range_g, float gyr_range_dps, float mag_range_ut)
{
    if (!(positive(acc_range_g) && positive(gyr_range_dps) && positive(mag_range_ut))) {
        return 1;
    }
    s->acc_per_lsb = acc_range_g * G_STD / FULL_SCALE;
    s->gyr_per_lsb = gyr_range_dps / FULL_SCALE;
    s->mag_per_lsb = mag_range_ut / FULL_SCALE;
    return 0;
}

void gn_input_physical(const gn_scale *s, const float rot[3][3], const int16_t raw[GN_AXES],
                       float phys[GN_AXES])
{
    const float per_lsb[3] = {s->acc_per_lsb, s->gyr_per_lsb, s->mag_per_lsb};
    int t, k;
    for (t = 0; t < 3; ++t) {
        float v[3];
        for (k = 0; k < 3; ++k) {
            v[k] = (float)raw[3 * t + k] * per_lsb[t];
        }
        if (rot == NULL) {
            for (k = 0; k < 3; ++k) {
                phys[3 * t + k] = v[k];
            }
        } else {
            for (k = 0; k < 3; ++k) {
                phys[3 * t + k] = rot[k][0] * v[0] + rot[k][1] * v[1] + rot[k][2] * v[2];
            }
        }
    }
}

int gn_quant_check(const gn_quant_params *q)
{
    uint8_t c;
    if (q->n_channels == 0u || q->n_channels > GN_MAX_CHANNELS) {
        return 1;
    }
    for (c = 0u; c < q->n_channels; ++c) {
        if (q->channel[c] >= GN_AXES) {
            return 2;
        }
    }
    for (c = 0u; c < q->n_channels; ++c) {
        if (!positive(q->std[c]) || !isfinite(q->mean[c])) {
            return 3;
        }
    }
    if (!positive(q->scale)) {
        return 4;
    }
    if (q->zero_point < -128 || q->zero_point > 127) {
        return 5;
    }
    return 0;
}

/* f = m * 2^e exactly (finite f >= 0), read from the IEEE-754 bits. */
static void decode(float f, uint32_t *m, int32_t *e)
{
    union {
        float f;
        uint32_t u;
    } bits;
    uint32_t field;
    bits.f = f;
    field = (bits.u >> 23) & 0xffu;
    *m = bits.u & 0x7fffffu;
    if (field != 0u) {
        *m |= 0x800000u; /* normal: the implicit leading bit */
    } else {
        field = 1u;      /* subnormal */
    }
    *e = (int32_t)field - 150;
}

/* 1 when x >= (k + 1/2) * s, decided exactly in integers (x > 0, s > 0 finite, k < 1024): the
 * float quotient x / s can round onto the other side of a half, the real quotient cannot. */
static int at_or_above_half(float x, uint32_t k, float s)
{
    uint32_t mx, ms;
    int32_t ex, es, d;
    uint64_t a, b;
    decode(x, &mx, &ex);
    decode(s, &ms, &es);
    /* x = mx 2^ex, (k + 1/2) s = (2k + 1) ms 2^(es - 1); compare mx 2^d with p = (2k + 1) ms < 2^35 */
    b = (uint64_t)(2u * k + 1u) * ms;
    d = ex - (es - 1);
    if (d >= 0) {
        if (d >= 40) {
            return 1; /* mx >= 1: mx 2^d >= 2^40 > p */
        }
        a = (uint64_t)mx << d;
    } else {
        if (d <= -25) {
            return 0; /* mx < 2^24 < 2^25 <= p 2^-d */
        }
        a = mx;
        b <<= -d;
    }
    return a >= b;
}

/* round(x / s) with halves away from zero, for the real quotient; |result| <= 1024 (enough to clamp). */
static int32_t round_quotient(float x, float s)
{
    const float ax = fabsf(x);
    const float av = ax / s;
    uint32_t k;
    int32_t r;
    if (ax == 0.0f) {
        return 0;
    }
    if (av >= BIG_QUOTIENT) {
        r = (int32_t)BIG_QUOTIENT;
    } else {
        k = (uint32_t)floorf(av);
        r = (int32_t)k + at_or_above_half(ax, k, s);
    }
    return (x < 0.0f) ? -r : r;
}

void gn_input_quantize(const gn_quant_params *q, const float phys[GN_AXES], int8_t *out)
{
    uint8_t c;
    for (c = 0u; c < q->n_channels; ++c) {
        const float xn = (phys[q->channel[c]] - q->mean[c]) / q->std[c];
        int32_t v;
        if (isnan(xn)) {
            v = q->zero_point;
        } else {
            v = round_quotient(xn, q->scale) + q->zero_point;
        }
        if (v < -128) {
            v = -128;
        } else if (v > 127) {
            v = 127;
        }
        out[c] = (int8_t)v;
    }
}

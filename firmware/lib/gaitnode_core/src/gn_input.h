/* gn_input.h - raw counts -> calibrated physical units -> model channels -> int8 model input.
 *
 * Units are those the models were trained on (training/windows.py): acc m/s^2, gyr deg/s,
 * mag uT, all in the calibrated sensor frame (gn_calib rotation applied to each triad).
 * Quantisation is TFLite's affine int8: q = clamp(round(x_norm / scale) + zero_point, -128, 127)
 * with x_norm = (x - mean) / std per channel (float) and round-half-away-from-zero applied to the
 * real quotient x_norm / scale: the rounding is decided exactly (integer arithmetic), so a float
 * quotient that lands on or across a half does not flip it. This equals
 * gaitnode.quantize.runners.quantize_input (which divides in double) value by value.
 */
#ifndef GN_INPUT_H
#define GN_INPUT_H

#include <stdint.h>

#include "gn_config.h"
#include "gn_sample.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Physical units per count, from the board's full-scale ranges. */
typedef struct {
    float acc_per_lsb; /* m/s^2 per count: range_g * 9.80665 / 32768 */
    float gyr_per_lsb; /* deg/s per count: range_dps / 32768 */
    float mag_per_lsb; /* uT per count: range_ut / 32768 */
} gn_scale;

/* 0, or 1 when a range is not > 0 and finite. */
int gn_scale_from_ranges(gn_scale *s, float acc_range_g, float gyr_range_dps, float mag_range_ut);

/* phys[9] = rot * (raw * per_lsb) for each triad (acc, gyr, mag). rot may be NULL (identity). */
void gn_input_physical(const gn_scale *s, const float rot[3][3], const int16_t raw[GN_AXES],
                       float phys[GN_AXES]);

/* A model's input description. channel[c] indexes phys[] (0..8) for model channel c. */
typedef struct {
    uint8_t n_channels;
    uint8_t channel[GN_MAX_CHANNELS];
    float mean[GN_MAX_CHANNELS];
    float std[GN_MAX_CHANNELS];
    float scale;        /* input tensor scale */
    int32_t zero_point; /* input tensor zero point */
} gn_quant_params;

/* 0 when valid, else 1 (n_channels 0 or > GN_MAX_CHANNELS), 2 (channel index > 8),
 * 3 (a std not > 0 or not finite, or a mean not finite), 4 (scale not > 0 and finite),
 * 5 (zero_point outside -128..127). */
int gn_quant_check(const gn_quant_params *q);

/* out[c] for c < n_channels: the int8 model input of one sample (phys[channel[c]] normalised and
 * quantised; a NaN x_norm gives zero_point). q must pass gn_quant_check. */
void gn_input_quantize(const gn_quant_params *q, const float phys[GN_AXES], int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* GN_INPUT_H */

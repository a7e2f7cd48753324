/* models.h - the node's model descriptions, filled from the generated headers at compile time.
 *
 * heel_strike: heel_strike_model_config.h from `gaitnode quantize heel-strike` (window, hop, delay,
 * quantisation, normalisation, threshold, release, refractory interval, placement, the IMU axis
 * of each channel, arena, size, sha256).
 * vo2: vo2_model_config.h from `gaitnode quantize vo2` (window, hop, channels, normalisation,
 * input and output quantisation, smoothing time constant, arena, size, sha256).
 * phase, activity: <name>_model_config.h from `gaitnode quantize phase|activity` (window and hop in
 * rows, rate, classes and their protocol codes, output layout, normalisation, quantisation, arena,
 * size, sha256).
 * A board carries a model when its boards.yaml `models` lists it (GN_MODEL_<NAME> 1).
 */
#ifndef GN_MODELS_H
#define GN_MODELS_H

#include <stdint.h>

#include "gn_node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out[n] from the 2n hex digits of hex (either case). Returns 0, or 1 when hex is not exactly
 * 2n hex digits. */
int gn_hex_to_bytes(const char *hex, uint8_t *out, uint32_t n);

/* Fill *m with the heel-strike model's description. Returns 0, 1 when the sha256 text in the
 * config header is malformed, 2 when the board does not carry the model (GN_MODEL_HEEL_STRIKE 0). */
int gn_models_fill_heel_strike(gn_hs_model *m);

/* Fill *m with the VO2 model's description (name "vo2"). Returns 0, 1 when the sha256 text in the
 * config header is malformed, 2 when the board does not carry the model (GN_MODEL_VO2 0). */
int gn_models_fill_vo2(gn_vo2_model *m);

/* Fill *m with the gait-phase (name "phase") / activity (name "activity") model's description.
 * Returns 0, 1 when the sha256 text is malformed, 2 when the board does not carry the model. */
int gn_models_fill_phase(gn_class_model *m);
int gn_models_fill_activity(gn_class_model *m);

#ifdef __cplusplus
}
#endif

#endif /* GN_MODELS_H */

/* gn_infer_tflm.h - gn_infer (gn_infer.h) implemented with TensorFlow Lite Micro on the boards.
 *
 * Model table: index 0 = the heel-strike model (g_heel_strike_model_data, when the board carries
 * it: GN_MODEL_HEEL_STRIKE). Each model has its own interpreter and a static 16-byte-aligned
 * arena of GN_<NAME>_ARENA_BYTES (measured on the host by `gaitnode quantize` plus a margin), and
 * its tensors are allocated once at init. Every run resets the interpreter first, so no LSTM
 * state carries from one window into the next (each window is scored on its own, as on the host).
 */
#ifndef GN_INFER_TFLM_H
#define GN_INFER_TFLM_H

#include <stdint.h>

#include "gn_infer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Index of the heel-strike model in the table (the `model` argument of gn_infer.run). */
#define GN_INFER_HEEL_STRIKE 0u

/* Build the interpreters and allocate their tensors; fill *infer with run / arena_used.
 * Returns 0, or 1 (model schema version), 2 (op registration), 3 (AllocateTensors: arena too
 * small), 4 (input/output not int8 or not the expected size). */
int gn_infer_tflm_init(gn_infer *infer);

#ifdef __cplusplus
}
#endif

#endif /* GN_INFER_TFLM_H */

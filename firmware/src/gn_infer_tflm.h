/* gn_infer_tflm.h - gn_infer (gn_infer.h) implemented with TensorFlow Lite Micro on the boards.
 *
 * Model table (gn_infer.h): GN_INFER_HEEL_STRIKE (0) = the heel-strike model
 * (g_heel_strike_model_data, when the board carries it: GN_MODEL_HEEL_STRIKE), GN_INFER_VO2 (1) =
 * the VO2 model (GN_MODEL_VO2), GN_INFER_PHASE (2) = the gait-phase model (GN_MODEL_PHASE),
 * GN_INFER_ACTIVITY (3) = the activity model (GN_MODEL_ACTIVITY). Each model has its own
 * interpreter and op resolver (GN_<NAME>_OPS); all share one static 16-byte-aligned arena (they
 * run one at a time: see gn_infer_tflm.cc), and their tensors are allocated once at init.
 * Every run resets the interpreter first, so no LSTM state carries from one window into the next
 * (each window is scored on its own, as on the host).
 */
#ifndef GN_INFER_TFLM_H
#define GN_INFER_TFLM_H

#include <stdint.h>

#include "gn_infer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Build the interpreters and allocate their tensors; fill *infer with run / arena_used.
 * Returns 0 when every model the board carries is ready. Otherwise the code of the first model
 * that failed (the other keeps working and gn_infer_tflm_ready says which are): 1 (model schema
 * version), 2 (op registration), 3 (AllocateTensors: arena too small), 4 (input/output not int8
 * or not the expected size); + 10 for the VO2 model (11..14), + 20 phase, + 30 activity; 5 when the
 * shared allocator cannot be created in the arena. */
int gn_infer_tflm_init(gn_infer *infer);

/* 1 when model `model` (a GN_INFER_* index) was built and can run. */
int gn_infer_tflm_ready(uint8_t model);

#ifdef __cplusplus
}
#endif

#endif /* GN_INFER_TFLM_H */

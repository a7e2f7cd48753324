/* gn_infer.h - the inference interface the node calls; platforms provide the implementation.
 *
 * Boards: the TFLite-Micro adapter (firmware/src/gn_infer_tflm.cc, C++ behind extern "C").
 * Twin (host build): firmware/host/gn_twin.c forwards to a callback that runs the tflite-micro package's
 * interpreter (real TFLM kernels). Unit tests: a mock. The node times each call with its clock.
 */
#ifndef GN_INFER_H
#define GN_INFER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The model table: the `model` argument of run and arena_used. */
#define GN_INFER_HEEL_STRIKE 0u /* gn_hs_model: window in, one int8 probability per sample out */
#define GN_INFER_VO2 1u         /* gn_vo2_model: window in, one int8 VO2 (ml/kg/min) out */
#define GN_INFER_PHASE 2u       /* gn_class_model: window in, softmax per row of the newest hop rows out */
#define GN_INFER_ACTIVITY 3u    /* gn_class_model: window in, one softmax out */
#define GN_INFER_SLOTS 4u

typedef struct gn_infer {
    /* Run model `model` (index into the node's model table) on in[in_len] int8, writing out[out_len]
     * int8. Returns 0 on success, non-zero on failure (the node counts it and sends no output). */
    int (*run)(void *ctx, uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len);
    /* Bytes of tensor arena the model uses (0 when unknown). */
    uint32_t (*arena_used)(void *ctx, uint8_t model);
    void *ctx;
} gn_infer;

#ifdef __cplusplus
}
#endif

#endif /* GN_INFER_H */

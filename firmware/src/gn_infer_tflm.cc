// gn_infer_tflm.cc - gn_infer with TensorFlow Lite Micro (see gn_infer_tflm.h).
//
// No heap: the op resolver and the interpreter are built with placement new in static storage,
// the arena is a static alignas(16) array of the size `gaitnode quantize` measured (+ margin).
#include "gn_infer_tflm.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <new>

#include "gn_config.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#if GN_MODEL_HEEL_STRIKE
#include "heel_strike_model_config.h"
#include "heel_strike_model_data.h"
#endif
#if GN_MODEL_VO2
#include "vo2_model_config.h"
#include "vo2_model_data.h"
#endif

namespace {

// One model: its interpreter (constructed in place at init) and tensor arena.
struct Slot {
    tflite::MicroInterpreter *interp;
    TfLiteTensor *input;
    TfLiteTensor *output;
    bool ready;
};

// Indexed by the gn_infer model index (gn_infer.h).
Slot g_slots[GN_INFER_SLOTS];

// Check the model's int8 input and output sizes against what the node will pass.
int check_io(Slot &s, size_t in_bytes, size_t out_bytes) {
    s.input = s.interp->input(0);
    s.output = s.interp->output(0);
    if (s.input == nullptr || s.output == nullptr || s.input->type != kTfLiteInt8 || s.output->type != kTfLiteInt8 ||
        s.input->bytes != in_bytes || s.output->bytes != out_bytes)
        return 4;
    return 0;
}

#if GN_MODEL_HEEL_STRIKE
using HsResolver = tflite::MicroMutableOpResolver<GN_HEEL_STRIKE_OP_COUNT>;
alignas(16) uint8_t g_hs_arena[GN_HEEL_STRIKE_ARENA_BYTES];
alignas(HsResolver) uint8_t g_hs_resolver_mem[sizeof(HsResolver)];
alignas(tflite::MicroInterpreter) uint8_t g_hs_interp_mem[sizeof(tflite::MicroInterpreter)];

int init_heel_strike(Slot &s) {
    const tflite::Model *model = tflite::GetModel(g_heel_strike_model_data);
    if (model->version() != TFLITE_SCHEMA_VERSION) return 1;
    HsResolver *resolver = new (g_hs_resolver_mem) HsResolver();
    // The generated X-macro lists exactly the ops the converted model uses.
    bool ok = true;
#define GN_ADD_OP(method) ok = ok && resolver->method() == kTfLiteOk;
    GN_HEEL_STRIKE_OPS(GN_ADD_OP)
#undef GN_ADD_OP
    if (!ok) return 2;
    s.interp = new (g_hs_interp_mem) tflite::MicroInterpreter(model, *resolver, g_hs_arena, sizeof g_hs_arena);
    if (s.interp->AllocateTensors() != kTfLiteOk) return 3;
    return check_io(s, (size_t)GN_HEEL_STRIKE_WINDOW * GN_HEEL_STRIKE_CHANNELS, (size_t)GN_HEEL_STRIKE_WINDOW);
}
#endif

#if GN_MODEL_VO2
// The VO2 model: its own resolver (its ops), arena and interpreter; one int8 value out.
using Vo2Resolver = tflite::MicroMutableOpResolver<GN_VO2_OP_COUNT>;
alignas(16) uint8_t g_vo2_arena[GN_VO2_ARENA_BYTES];
alignas(Vo2Resolver) uint8_t g_vo2_resolver_mem[sizeof(Vo2Resolver)];
alignas(tflite::MicroInterpreter) uint8_t g_vo2_interp_mem[sizeof(tflite::MicroInterpreter)];

int init_vo2(Slot &s) {
    const tflite::Model *model = tflite::GetModel(g_vo2_model_data);
    if (model->version() != TFLITE_SCHEMA_VERSION) return 1;
    Vo2Resolver *resolver = new (g_vo2_resolver_mem) Vo2Resolver();
    bool ok = true;
#define GN_ADD_OP(method) ok = ok && resolver->method() == kTfLiteOk;
    GN_VO2_OPS(GN_ADD_OP)
#undef GN_ADD_OP
    if (!ok) return 2;
    s.interp = new (g_vo2_interp_mem) tflite::MicroInterpreter(model, *resolver, g_vo2_arena, sizeof g_vo2_arena);
    if (s.interp->AllocateTensors() != kTfLiteOk) return 3;
    return check_io(s, (size_t)GN_VO2_WINDOW * GN_VO2_CHANNELS, 1u);
}
#endif

int run_model(void *ctx, uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len) {
    (void)ctx;
    if (model >= GN_INFER_SLOTS || !g_slots[model].ready) return 1;
    Slot &s = g_slots[model];
    if (in_len != s.input->bytes || out_len != s.output->bytes) return 2;
    // Back to the state after AllocateTensors: zero LSTM state (variable tensors), so this window
    // does not see the previous one (the host runners reset the same way).
    if (s.interp->Reset() != kTfLiteOk) return 3;
    memcpy(s.input->data.int8, in, in_len);
    if (s.interp->Invoke() != kTfLiteOk) return 4;
    memcpy(out, s.output->data.int8, out_len);
    return 0;
}

uint32_t arena_used(void *ctx, uint8_t model) {
    (void)ctx;
    if (model >= GN_INFER_SLOTS || !g_slots[model].ready) return 0;
    return (uint32_t)g_slots[model].interp->arena_used_bytes();
}

}  // namespace

extern "C" int gn_infer_tflm_init(gn_infer *infer) {
    int first_error = 0;
    for (uint32_t i = 0; i < GN_INFER_SLOTS; ++i) g_slots[i].ready = false;
    infer->run = run_model;
    infer->arena_used = arena_used;
    infer->ctx = nullptr;
#if GN_MODEL_HEEL_STRIKE
    {
        const int rc = init_heel_strike(g_slots[GN_INFER_HEEL_STRIKE]);
        g_slots[GN_INFER_HEEL_STRIKE].ready = rc == 0;
        if (rc != 0 && first_error == 0) first_error = rc;
    }
#endif
#if GN_MODEL_VO2
    {
        const int rc = init_vo2(g_slots[GN_INFER_VO2]);
        g_slots[GN_INFER_VO2].ready = rc == 0;
        if (rc != 0 && first_error == 0) first_error = 10 + rc;
    }
#endif
    return first_error;
}

extern "C" int gn_infer_tflm_ready(uint8_t model) {
    return model < GN_INFER_SLOTS && g_slots[model].ready ? 1 : 0;
}

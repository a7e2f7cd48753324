// gn_infer_tflm.cc - gn_infer with TensorFlow Lite Micro (see gn_infer_tflm.h).
//
// No heap: the op resolvers, the allocator and the interpreters are built with placement new in
// static storage. The models run one at a time (gn_node_poll), so they share one tensor arena
// through one MicroAllocator (TFLM's multi-tenant allocation): each interpreter's AllocateTensors
// keeps its persistent buffers (tensor structs, quantisation data, LSTM state) at the arena's
// tail, and the non-persistent part (activations, scratch) at the head is planned per model and
// reused by whichever model runs. The arena is the sum of the models' persistent parts + the
// largest remaining part, from the sizes `gaitnode quantize` measured (the same sum `gaitnode
// boards check` holds to the board's RAM budget). The allocator object itself lives in the arena.
#include "gn_infer_tflm.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <new>

#include "gn_config.h"
#include "tensorflow/lite/micro/micro_allocator.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

// Per model: its arena on its own (A) and the persistent part of it (P; headers from before the
// persistent size was generated count the whole arena as persistent).
#if GN_MODEL_HEEL_STRIKE
#include "heel_strike_model_config.h"
#include "heel_strike_model_data.h"
#ifndef GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES
#define GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES GN_HEEL_STRIKE_ARENA_BYTES
#endif
#define GN_A0 GN_HEEL_STRIKE_ARENA_BYTES
#define GN_P0 GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES
#else
#define GN_A0 0
#define GN_P0 0
#endif
#if GN_MODEL_VO2
#include "vo2_model_config.h"
#include "vo2_model_data.h"
#ifndef GN_VO2_ARENA_PERSISTENT_BYTES
#define GN_VO2_ARENA_PERSISTENT_BYTES GN_VO2_ARENA_BYTES
#endif
#define GN_A1 GN_VO2_ARENA_BYTES
#define GN_P1 GN_VO2_ARENA_PERSISTENT_BYTES
#else
#define GN_A1 0
#define GN_P1 0
#endif
#if GN_MODEL_PHASE
#include "phase_model_config.h"
#include "phase_model_data.h"
#define GN_A2 GN_PHASE_ARENA_BYTES
#define GN_P2 GN_PHASE_ARENA_PERSISTENT_BYTES
#else
#define GN_A2 0
#define GN_P2 0
#endif
#if GN_MODEL_ACTIVITY
#include "activity_model_config.h"
#include "activity_model_data.h"
#define GN_A3 GN_ACTIVITY_ARENA_BYTES
#define GN_P3 GN_ACTIVITY_ARENA_PERSISTENT_BYTES
#else
#define GN_A3 0
#define GN_P3 0
#endif

namespace {

constexpr size_t larger(size_t a, size_t b) { return a > b ? a : b; }
// Rounded up to 16: the allocator aligns every buffer to 16 bytes.
constexpr size_t kArenaBytes =
    ((size_t)GN_P0 + GN_P1 + GN_P2 + GN_P3 +
     larger(larger((size_t)GN_A0 - GN_P0, (size_t)GN_A1 - GN_P1), larger((size_t)GN_A2 - GN_P2, (size_t)GN_A3 - GN_P3)) +
     15u) / 16u * 16u;
static_assert(kArenaBytes > 0, "the board carries no model");

// One model: its interpreter (constructed in place at init) and its tensors.
struct Slot {
    tflite::MicroInterpreter *interp;
    TfLiteTensor *input;
    TfLiteTensor *output;
    bool ready;
};

// Indexed by the gn_infer model index (gn_infer.h).
Slot g_slots[GN_INFER_SLOTS];

alignas(16) uint8_t g_arena[kArenaBytes];
tflite::MicroAllocator *g_allocator = nullptr;

// Check the model's int8 input and output sizes against what the node will pass.
int check_io(Slot &s, size_t in_bytes, size_t out_bytes) {
    s.input = s.interp->input(0);
    s.output = s.interp->output(0);
    if (s.input == nullptr || s.output == nullptr || s.input->type != kTfLiteInt8 || s.output->type != kTfLiteInt8 ||
        s.input->bytes != in_bytes || s.output->bytes != out_bytes)
        return 4;
    return 0;
}

// One model's resolver (exactly the ops the converted model uses: the generated X-macro), its
// interpreter on the shared allocator, and the size check. Returns 0 or gn_infer_tflm_init's code.
#define GN_DEFINE_INIT(NAME, name, OUT_BYTES)                                                              \
    using name##_resolver = tflite::MicroMutableOpResolver<GN_##NAME##_OP_COUNT>;                            \
    alignas(name##_resolver) uint8_t g_##name##_resolver_mem[sizeof(name##_resolver)];                       \
    alignas(tflite::MicroInterpreter) uint8_t g_##name##_interp_mem[sizeof(tflite::MicroInterpreter)];       \
    int init_##name(Slot &s) {                                                                               \
        const tflite::Model *model = tflite::GetModel(g_##name##_model_data);                                \
        if (model->version() != TFLITE_SCHEMA_VERSION) return 1;                                            \
        name##_resolver *resolver = new (g_##name##_resolver_mem) name##_resolver();                         \
        bool ok = true;                                                                                      \
        GN_##NAME##_OPS(GN_ADD_OP)                                                                           \
        if (!ok) return 2;                                                                                   \
        s.interp = new (g_##name##_interp_mem) tflite::MicroInterpreter(model, *resolver, g_allocator);      \
        if (s.interp->AllocateTensors() != kTfLiteOk) return 3;                                             \
        return check_io(s, (size_t)GN_##NAME##_WINDOW * GN_##NAME##_CHANNELS, (size_t)(OUT_BYTES));         \
    }
#define GN_ADD_OP(method) ok = ok && resolver->method() == kTfLiteOk;

#if GN_MODEL_HEEL_STRIKE
GN_DEFINE_INIT(HEEL_STRIKE, heel_strike, GN_HEEL_STRIKE_WINDOW)
#endif
#if GN_MODEL_VO2
GN_DEFINE_INIT(VO2, vo2, 1u)
#endif
#if GN_MODEL_PHASE
GN_DEFINE_INIT(PHASE, phase, GN_PHASE_LAST_HOP ? GN_PHASE_HOP * GN_PHASE_N_CLASSES : GN_PHASE_N_CLASSES)
#endif
#if GN_MODEL_ACTIVITY
GN_DEFINE_INIT(ACTIVITY, activity,
               GN_ACTIVITY_LAST_HOP ? GN_ACTIVITY_HOP * GN_ACTIVITY_N_CLASSES : GN_ACTIVITY_N_CLASSES)
#endif
#undef GN_ADD_OP
#undef GN_DEFINE_INIT

int run_model(void *ctx, uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len) {
    (void)ctx;
    if (model >= GN_INFER_SLOTS || !g_slots[model].ready) return 1;
    Slot &s = g_slots[model];
    if (in_len != s.input->bytes || out_len != s.output->bytes) return 2;
    // Back to the state after AllocateTensors: zero LSTM state (variable tensors), so this window
    // does not see the previous one (the host runners reset the same way).
    if (s.interp->Reset() != kTfLiteOk) return 3;
    // The input sits in the shared head: another model may have used those bytes since; written
    // here, read back right after Invoke, so nothing of another model's run is seen.
    memcpy(s.input->data.int8, in, in_len);
    if (s.interp->Invoke() != kTfLiteOk) return 4;
    memcpy(out, s.output->data.int8, out_len);
    return 0;
}

uint32_t arena_used(void *ctx, uint8_t model) {
    (void)ctx;
    if (model >= GN_INFER_SLOTS || !g_slots[model].ready) return 0;
    // The shared arena's use so far (all the models' persistent parts + the largest head).
    return (uint32_t)g_slots[model].interp->arena_used_bytes();
}

// Build slot `index` with init(); keep the first failure's code (+ offset per model).
void build(uint8_t index, int (*init)(Slot &), int offset, int *first_error) {
    const int rc = init(g_slots[index]);
    g_slots[index].ready = rc == 0;
    if (rc != 0 && *first_error == 0) *first_error = offset + rc;
}

}  // namespace

extern "C" int gn_infer_tflm_init(gn_infer *infer) {
    int first_error = 0;
    for (uint32_t i = 0; i < GN_INFER_SLOTS; ++i) g_slots[i].ready = false;
    infer->run = run_model;
    infer->arena_used = arena_used;
    infer->ctx = nullptr;
    g_allocator = tflite::MicroAllocator::Create(g_arena, sizeof g_arena);
    if (g_allocator == nullptr) return 5;
#if GN_MODEL_HEEL_STRIKE
    build(GN_INFER_HEEL_STRIKE, init_heel_strike, 0, &first_error);
#endif
#if GN_MODEL_VO2
    build(GN_INFER_VO2, init_vo2, 10, &first_error);
#endif
#if GN_MODEL_PHASE
    build(GN_INFER_PHASE, init_phase, 20, &first_error);
#endif
#if GN_MODEL_ACTIVITY
    build(GN_INFER_ACTIVITY, init_activity, 30, &first_error);
#endif
    return first_error;
}

extern "C" int gn_infer_tflm_ready(uint8_t model) {
    return model < GN_INFER_SLOTS && g_slots[model].ready ? 1 : 0;
}

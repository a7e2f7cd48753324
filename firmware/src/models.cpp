// models.cpp - gn_hs_model, gn_vo2_model and the classifiers' gn_class_model from the generated
// model headers (see models.h).
#include "models.h"

#include <string.h>

#include "gn_config.h"

#if GN_MODEL_HEEL_STRIKE
#include "heel_strike_model_config.h"

// The model must fit the core's buffers and run at the board's rate; caught at compile time.
static_assert(GN_HEEL_STRIKE_CHANNELS <= GN_MAX_CHANNELS, "model has more channels than GN_MAX_CHANNELS");
static_assert(GN_HEEL_STRIKE_WINDOW <= GN_MAX_WINDOW, "model window is longer than GN_MAX_WINDOW");
static_assert(GN_HEEL_STRIKE_RATE_HZ == (float)GN_SAMPLE_RATE_HZ, "model rate differs from the board's sample rate");
static_assert(sizeof(GN_HEEL_STRIKE_MODEL_SHA256) == 65, "sha256 must be 64 hex digits");
#endif

#if GN_MODEL_VO2
#include "vo2_model_config.h"

static_assert(GN_VO2_CHANNELS <= GN_MAX_CHANNELS, "VO2 model has more channels than GN_MAX_CHANNELS");
static_assert(GN_VO2_WINDOW <= GN_MAX_WINDOW, "VO2 model window is longer than GN_MAX_WINDOW");
static_assert(GN_VO2_HOP >= 1 && GN_VO2_HOP <= GN_VO2_WINDOW, "VO2 model hop must be 1..window");
static_assert(GN_VO2_RATE_HZ == (float)GN_SAMPLE_RATE_HZ, "VO2 model rate differs from the board's sample rate");
static_assert(sizeof(GN_VO2_MODEL_SHA256) == 65, "sha256 must be 64 hex digits");
#endif

// A classifier: rows of a whole number of board samples, its output within what a frame and the
// node's output buffer hold (gn_classify_check repeats these at run time).
#define GN_CHECK_CLASSIFIER(NAME)                                                                        \
    static_assert(GN_##NAME##_CHANNELS <= GN_MAX_CHANNELS, #NAME " model has more channels than GN_MAX_CHANNELS"); \
    static_assert(GN_##NAME##_WINDOW <= GN_MAX_WINDOW, #NAME " model window is longer than GN_MAX_WINDOW");         \
    static_assert(GN_##NAME##_HOP >= 1 && GN_##NAME##_HOP <= GN_##NAME##_WINDOW, #NAME " model hop must be 1..window"); \
    static_assert((float)GN_SAMPLE_RATE_HZ / GN_##NAME##_RATE_HZ >= 1.0f &&                                       \
                      (float)(int)((float)GN_SAMPLE_RATE_HZ / GN_##NAME##_RATE_HZ) ==                              \
                          (float)GN_SAMPLE_RATE_HZ / GN_##NAME##_RATE_HZ,                                          \
                  #NAME " model rate must be the board rate divided by a whole number");                           \
    static_assert(GN_##NAME##_N_CLASSES >= 2 && GN_##NAME##_N_CLASSES <= (int)GN_MAX_CLASSES, #NAME " classes");  \
    static_assert(sizeof(GN_##NAME##_MODEL_SHA256) == 65, "sha256 must be 64 hex digits");

#if GN_MODEL_PHASE
#include "phase_model_config.h"
GN_CHECK_CLASSIFIER(PHASE)
#endif
#if GN_MODEL_ACTIVITY
#include "activity_model_config.h"
GN_CHECK_CLASSIFIER(ACTIVITY)
#endif

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

extern "C" int gn_hex_to_bytes(const char *hex, uint8_t *out, uint32_t n) {
    if (strlen(hex) != 2u * n) return 1;
    for (uint32_t i = 0; i < n; ++i) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return 1;
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return 0;
}

extern "C" int gn_models_fill_heel_strike(gn_hs_model *m) {
    memset(m, 0, sizeof *m);
#if GN_MODEL_HEEL_STRIKE
    static const char name[] = "heel_strike";
    static_assert(sizeof name <= GN_NAME_LEN, "model name longer than GN_NAME_LEN");
    memcpy(m->name, name, sizeof name);
    if (gn_hex_to_bytes(GN_HEEL_STRIKE_MODEL_SHA256, m->sha256, 32) != 0) return 1;
    m->model_bytes = GN_HEEL_STRIKE_MODEL_BYTES;
    m->arena_bytes = GN_HEEL_STRIKE_ARENA_BYTES;

    m->input.n_channels = GN_HEEL_STRIKE_CHANNELS;
    for (int c = 0; c < GN_HEEL_STRIKE_CHANNELS; ++c) {
        m->input.channel[c] = gn_heel_strike_channel_index[c];
        m->input.mean[c] = gn_heel_strike_norm_mean[c];
        m->input.std[c] = gn_heel_strike_norm_std[c];
    }
    m->input.scale = GN_HEEL_STRIKE_INPUT_SCALE;
    m->input.zero_point = GN_HEEL_STRIKE_INPUT_ZERO_POINT;

    m->output.window = GN_HEEL_STRIKE_WINDOW;
    m->output.hop = GN_HEEL_STRIKE_HOP;
    m->output.output_delay = GN_HEEL_STRIKE_OUTPUT_DELAY;
    m->output.out_scale = GN_HEEL_STRIKE_OUTPUT_SCALE;
    m->output.out_zero_point = GN_HEEL_STRIKE_OUTPUT_ZERO_POINT;

    m->picker.threshold = GN_HEEL_STRIKE_THRESHOLD;
    m->picker.release = GN_HEEL_STRIKE_RELEASE;
    m->picker.min_interval = GN_HEEL_STRIKE_MIN_INTERVAL_SAMPLES;
    m->placement = GN_HEEL_STRIKE_PLACEMENT;
    return 0;
#else
    return 2;
#endif
}

extern "C" int gn_models_fill_vo2(gn_vo2_model *m) {
    memset(m, 0, sizeof *m);
#if GN_MODEL_VO2
    static const char name[] = "vo2";
    memcpy(m->name, name, sizeof name);
    if (gn_hex_to_bytes(GN_VO2_MODEL_SHA256, m->sha256, 32) != 0) return 1;
    m->model_bytes = GN_VO2_MODEL_BYTES;
    m->arena_bytes = GN_VO2_ARENA_BYTES;

    m->input.n_channels = GN_VO2_CHANNELS;
    for (int c = 0; c < GN_VO2_CHANNELS; ++c) {
        m->input.channel[c] = gn_vo2_channel_index[c];
        m->input.mean[c] = gn_vo2_norm_mean[c];
        m->input.std[c] = gn_vo2_norm_std[c];
    }
    m->input.scale = GN_VO2_INPUT_SCALE;
    m->input.zero_point = GN_VO2_INPUT_ZERO_POINT;

    m->window = GN_VO2_WINDOW;
    m->hop = GN_VO2_HOP;
    m->out_scale = GN_VO2_OUTPUT_SCALE;
    m->out_zero_point = GN_VO2_OUTPUT_ZERO_POINT;
    m->smooth_tau_s = GN_VO2_SMOOTH_TAU_S;
    return 0;
#else
    return 2;
#endif
}

// The fields of a gn_class_model from the GN_<NAME>_* macros and gn_<name>_* arrays.
#define GN_FILL_CLASSIFIER(NAME, lower)                                                                  \
    do {                                                                                                \
        static const char model_name[] = #lower;                                                          \
        memcpy(m->name, model_name, sizeof model_name);                                                  \
        if (gn_hex_to_bytes(GN_##NAME##_MODEL_SHA256, m->sha256, 32) != 0) return 1;                     \
        m->model_bytes = GN_##NAME##_MODEL_BYTES;                                                        \
        m->arena_bytes = GN_##NAME##_ARENA_BYTES;                                                        \
        m->input.n_channels = GN_##NAME##_CHANNELS;                                                      \
        for (int c = 0; c < GN_##NAME##_CHANNELS; ++c) {                                                 \
            m->input.channel[c] = gn_##lower##_channel_index[c];                                          \
            m->input.mean[c] = gn_##lower##_norm_mean[c];                                                 \
            m->input.std[c] = gn_##lower##_norm_std[c];                                                   \
        }                                                                                                \
        m->input.scale = GN_##NAME##_INPUT_SCALE;                                                        \
        m->input.zero_point = GN_##NAME##_INPUT_ZERO_POINT;                                              \
        m->window = GN_##NAME##_WINDOW;                                                                  \
        m->hop = GN_##NAME##_HOP;                                                                        \
        m->decimate = (uint8_t)((float)GN_SAMPLE_RATE_HZ / GN_##NAME##_RATE_HZ);                         \
        m->n_classes = GN_##NAME##_N_CLASSES;                                                            \
        m->last_hop = GN_##NAME##_LAST_HOP;                                                              \
        for (int k = 0; k < GN_##NAME##_N_CLASSES; ++k) m->class_code[k] = gn_##lower##_class_codes[k];   \
        m->out_scale = GN_##NAME##_OUTPUT_SCALE;                                                         \
        m->out_zero_point = GN_##NAME##_OUTPUT_ZERO_POINT;                                               \
    } while (0)

extern "C" int gn_models_fill_phase(gn_class_model *m) {
    memset(m, 0, sizeof *m);
#if GN_MODEL_PHASE
    GN_FILL_CLASSIFIER(PHASE, phase);
    return 0;
#else
    return 2;
#endif
}

extern "C" int gn_models_fill_activity(gn_class_model *m) {
    memset(m, 0, sizeof *m);
#if GN_MODEL_ACTIVITY
    GN_FILL_CLASSIFIER(ACTIVITY, activity);
    return 0;
#else
    return 2;
#endif
}

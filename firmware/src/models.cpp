// models.cpp - gn_hs_model and gn_vo2_model from the generated model headers (see models.h).
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

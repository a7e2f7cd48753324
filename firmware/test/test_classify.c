/* test_classify.c - the classifier stage (gn_classify): decimation, windows, output decoding. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gn_classify.h"
#include "gn_test.h"

static gn_classify cls;
static int8_t in[GN_MAX_WINDOW * GN_MAX_CHANNELS];

/* One channel (acc x), identity normalisation, input scale 1: the row value is round(mean acc x). */
static gn_class_model model(uint16_t window, uint16_t hop, uint8_t decimate, uint8_t last_hop, uint8_t n)
{
    gn_class_model m;
    uint8_t k;
    memset(&m, 0, sizeof m);
    m.input.n_channels = 1;
    m.input.channel[0] = 0;
    m.input.mean[0] = 0.0f;
    m.input.std[0] = 1.0f;
    m.input.scale = 1.0f;
    m.input.zero_point = 0;
    m.window = window;
    m.hop = hop;
    m.decimate = decimate;
    m.last_hop = last_hop;
    m.n_classes = n;
    for (k = 0; k < n; ++k) {
        m.class_code[k] = (uint8_t)(n - 1u - k); /* reversed: codes are not the model's order */
    }
    m.out_scale = 1.0f / 256.0f;
    m.out_zero_point = -128;
    return m;
}

static int push(const gn_class_model *m, float acc_x, uint32_t index)
{
    float phys[GN_AXES] = {0};
    phys[0] = acc_x;
    return gn_classify_push(&cls, m, phys, index);
}

static void test_rows_average_decimate_samples(void)
{
    const gn_class_model m = model(4, 2, 2, 0, 2);
    uint32_t i, ready = 0;
    GN_CHECK_EQ_INT(gn_classify_init(&cls, &m, 7), 0);
    /* samples 0..7: values 2i; rows = means of pairs: 1, 5, 9, 13 */
    for (i = 0; i < 8u; ++i) {
        ready += (uint32_t)push(&m, 2.0f * (float)i, i);
    }
    GN_CHECK_EQ_INT(ready, 1);
    gn_window_copy(&cls.window, in);
    GN_CHECK_EQ_INT(in[0], 1);
    GN_CHECK_EQ_INT(in[1], 5);
    GN_CHECK_EQ_INT(in[2], 9);
    GN_CHECK_EQ_INT(in[3], 13);
    GN_CHECK_EQ_INT(cls.last_index, 7);
    /* then every hop (2 rows = 4 samples) */
    for (i = 8; i < 12u; ++i) {
        ready += (uint32_t)push(&m, 0.0f, i);
    }
    GN_CHECK_EQ_INT(ready, 2);
}

static void test_reset_restarts_rows_and_window(void)
{
    const gn_class_model m = model(2, 1, 2, 0, 2);
    uint32_t ready = 0;
    GN_CHECK_EQ_INT(gn_classify_init(&cls, &m, 7), 0);
    ready += (uint32_t)push(&m, 10.0f, 0); /* half a row, then a gap */
    gn_classify_reset_at(&cls, 100);
    ready += (uint32_t)push(&m, 2.0f, 100);
    ready += (uint32_t)push(&m, 4.0f, 101);
    ready += (uint32_t)push(&m, 6.0f, 102);
    ready += (uint32_t)push(&m, 8.0f, 103);
    GN_CHECK_EQ_INT(ready, 1);
    gn_window_copy(&cls.window, in);
    GN_CHECK_EQ_INT(in[0], 3); /* (2 + 4) / 2: the half row before the gap is gone */
    GN_CHECK_EQ_INT(in[1], 7);
}

static void test_last_hop_output_covers_the_newest_samples(void)
{
    /* window 4 rows, hop 2 rows, 2 samples per row: one inference labels 4 samples */
    const gn_class_model m = model(4, 2, 2, 1, 3);
    int8_t out[6] = {-128, 127, -128, /* row 0: class 1 (code 1), p = 255/256 */
                     100, -28, -128}; /* row 1: class 0 (code 2), p = 228/256 */
    gn_msg_phase msg;
    uint32_t i;
    GN_CHECK_EQ_INT(gn_classify_init(&cls, &m, 4), 0);
    GN_CHECK_EQ_INT(gn_classify_output_len(&m), 6);
    for (i = 0; i < 8u; ++i) {
        (void)push(&m, 0.0f, 50u + i);
    }
    gn_classify_phase(&cls, &m, out, &msg);
    GN_CHECK_EQ_INT(msg.count, 4);
    GN_CHECK_EQ_INT(msg.first_index, 54); /* samples 54..57: the newest two rows */
    GN_CHECK_EQ_INT(msg.code[0], 1);
    GN_CHECK_EQ_INT(msg.code[1], 1);
    GN_CHECK_EQ_INT(msg.code[2], 2);
    GN_CHECK_EQ_INT(msg.code[3], 2);
    GN_CHECK_EQ_INT(msg.confidence[0], 254); /* round(255 * 255 / 256) */
    GN_CHECK_EQ_INT(msg.confidence[2], 227); /* round(255 * 228 / 256) */
}

static void test_window_output_lists_every_class(void)
{
    const gn_class_model m = model(2, 2, 1, 0, 3);
    int8_t out[3] = {-100, -128, 50}; /* class 2 wins: code 0 */
    gn_msg_activity msg;
    GN_CHECK_EQ_INT(gn_classify_init(&cls, &m, 7), 0);
    (void)push(&m, 0.0f, 0);
    (void)push(&m, 0.0f, 1);
    gn_classify_activity(&cls, &m, out, &msg);
    GN_CHECK_EQ_INT(msg.sample_index, 1);
    GN_CHECK_EQ_INT(msg.code, 0);
    GN_CHECK_EQ_INT(msg.n, 3);
    GN_CHECK_EQ_INT(msg.class_code[0], 2);
    GN_CHECK_EQ_INT(msg.class_code[2], 0);
    GN_CHECK_EQ_INT(msg.prob[1], 0);
    GN_CHECK_EQ_INT(msg.prob[2], 177); /* round(255 * 178 / 256) */
}

static void test_descriptions_are_checked(void)
{
    gn_class_model m = model(4, 2, 1, 1, 4);
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 0);
    m.input.scale = 0.0f;
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 1);
    m = model(4, 5, 1, 1, 4);
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 2);
    m = model(GN_MAX_WINDOW + 1u, 1, 1, 0, 4);
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 2);
    m = model(4, 2, 0, 1, 4);
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 3);
    m = model(128, 40, 2, 1, 4); /* 80 samples per PHASE frame: more than one frame holds */
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 3);
    m = model(4, 2, 1, 1, 1);
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 4);
    m = model(4, 2, 1, 1, 4);
    m.class_code[3] = 4; /* no such phase */
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 4);
    m = model(4, 2, 1, 1, 4);
    m.out_scale = NAN;
    GN_CHECK_EQ_INT(gn_classify_check(&m, 4), 5);
}

int main(void)
{
    GN_RUN(test_rows_average_decimate_samples);
    GN_RUN(test_reset_restarts_rows_and_window);
    GN_RUN(test_last_hop_output_covers_the_newest_samples);
    GN_RUN(test_window_output_lists_every_class);
    GN_RUN(test_descriptions_are_checked);
    return gn_test_finish("classify");
}

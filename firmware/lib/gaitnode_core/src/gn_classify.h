/* gn_classify.h - the classifier stage: gait phase and activity models on the node.
 *
 * A classifier model turns a window of rows into softmax probabilities over its classes. Rows run
 * at the model's rate: each row is the mean of `decimate` consecutive board samples in physical
 * units (an activity model trained at 50 Hz on a 100 Hz board averages pairs), then normalised and
 * quantised like every model input (gn_input). One inference every `hop` rows. The output is read
 * in one of two layouts:
 * - last_hop (gait phase): one softmax per row for the newest `hop` rows of the window, so
 *   consecutive inferences label every sample exactly once (each row's class covers its
 *   `decimate` samples);
 * - window (activity): one softmax for the whole window.
 * Class numbers on the wire are protocol codes (class_code[k]: index into the gait phases or the
 * activities of gn_msg.h), so a model may list a subset of the classes in any order.
 */
#ifndef GN_CLASSIFY_H
#define GN_CLASSIFY_H
#include <stdint.h>
#include "gn_config.h"
#include "gn_input.h"
#include "gn_msg.h"
#include "gn_sample.h"
#include "gn_window.h"
#ifdef __cplusplus
extern "C" {
#endif

#define GN_MAX_CLASSES 8u

/* A classifier as the node runs it (filled from <name>_model_config.h on boards). */
typedef struct {
    char name[GN_NAME_LEN];   /* "phase", "activity" */
    uint8_t sha256[32];
    uint32_t model_bytes, arena_bytes;
    gn_quant_params input;    /* channels, normalisation, input quantisation */
    uint16_t window, hop;     /* rows */
    uint8_t decimate;         /* board samples per row, >= 1 */
    uint8_t n_classes;        /* 2..GN_MAX_CLASSES */
    uint8_t last_hop;         /* 1: output [hop][n_classes]; 0: [n_classes] */
    uint8_t class_code[GN_MAX_CLASSES];
    float out_scale;          /* probability = out_scale * (q - out_zero_point) */
    int32_t out_zero_point;
} gn_class_model;

typedef struct {
    gn_window window;
    float sum[GN_AXES];       /* the row being averaged */
    uint8_t in_row;           /* samples in sum */
    uint32_t last_index;      /* stream index of the sample that completed the newest row */
} gn_classify;

/* 0 when m is valid for a node whose codes go up to n_codes (exclusive), else 1 (input), 2 (window,
 * hop or channels), 3 (decimate 0, or a last_hop output covering more than GN_PHASE_MAX_COUNT samples
 * or more outputs than GN_MAX_WINDOW), 4 (n_classes, or a class code >= n_codes), 5 (output scale). */
int gn_classify_check(const gn_class_model *m, uint8_t n_codes);
/* 0, or gn_classify_check's code. The next sample pushed is stream sample 0. */
int gn_classify_init(gn_classify *c, const gn_class_model *m, uint8_t n_codes);
/* Forget all rows (mode start, gap); the next sample pushed is stream sample `index`. */
void gn_classify_reset_at(gn_classify *c, uint32_t index);
/* One board sample (physical units, gn_input_physical) with stream index `index`. Returns 1 when a
 * window is ready: copy it with gn_window_copy(&c->window, ...) before the next push. */
int gn_classify_push(gn_classify *c, const gn_class_model *m, const float phys[GN_AXES], uint32_t index);
/* Outputs per inference: hop * n_classes (last_hop) or n_classes. */
uint32_t gn_classify_output_len(const gn_class_model *m);
/* A last_hop model's output as a PHASE message: the samples its newest hop rows cover. */
void gn_classify_phase(const gn_classify *c, const gn_class_model *m, const int8_t *out, gn_msg_phase *msg);
/* A window model's output as an ACTIVITY message (sample_index: the window's last sample). */
void gn_classify_activity(const gn_classify *c, const gn_class_model *m, const int8_t *out, gn_msg_activity *msg);

#ifdef __cplusplus
}
#endif
#endif /* GN_CLASSIFY_H */

/* gn_classify.c - the classifier stage (gn_classify.h). */
#include "gn_classify.h"

#include <math.h>
#include <string.h>

int gn_classify_check(const gn_class_model *m, uint8_t n_codes)
{
    uint8_t k;
    if (gn_quant_check(&m->input) != 0) return 1;
    if (m->window == 0u || m->window > GN_MAX_WINDOW || m->hop == 0u || m->hop > m->window) return 2;
    if (m->decimate == 0u) return 3;
    if (m->last_hop && ((uint32_t)m->hop * m->decimate > GN_PHASE_MAX_COUNT ||
                        (uint32_t)m->hop * m->n_classes > GN_MAX_WINDOW)) {
        return 3;
    }
    if (m->n_classes < 2u || m->n_classes > GN_MAX_CLASSES) return 4;
    for (k = 0; k < m->n_classes; ++k) {
        if (m->class_code[k] >= n_codes) return 4;
    }
    if (!(m->out_scale > 0.0f) || !isfinite(m->out_scale)) return 5;
    return 0;
}

int gn_classify_init(gn_classify *c, const gn_class_model *m, uint8_t n_codes)
{
    const int rc = gn_classify_check(m, n_codes);
    memset(c, 0, sizeof *c);
    if (rc != 0) return rc;
    if (gn_window_init(&c->window, m->window, m->hop, m->input.n_channels) != 0) return 2;
    return 0;
}

void gn_classify_reset_at(gn_classify *c, uint32_t index)
{
    /* Rows start at `index`: the window's stream index counts rows from there. */
    gn_window_reset_at(&c->window, index);
    memset(c->sum, 0, sizeof c->sum);
    c->in_row = 0;
}

int gn_classify_push(gn_classify *c, const gn_class_model *m, const float phys[GN_AXES], uint32_t index)
{
    int8_t row[GN_MAX_CHANNELS];
    float mean[GN_AXES];
    int a;
    for (a = 0; a < GN_AXES; ++a) {
        c->sum[a] += phys[a];
    }
    if (++c->in_row < m->decimate) {
        return 0;
    }
    for (a = 0; a < GN_AXES; ++a) {
        mean[a] = c->sum[a] / (float)m->decimate;
        c->sum[a] = 0.0f;
    }
    c->in_row = 0;
    c->last_index = index;
    gn_input_quantize(&m->input, mean, row);
    return gn_window_push(&c->window, row);
}

uint32_t gn_classify_output_len(const gn_class_model *m)
{
    return m->last_hop ? (uint32_t)m->hop * m->n_classes : m->n_classes;
}

static float probability(const gn_class_model *m, int8_t q)
{
    return m->out_scale * (float)((int32_t)q - m->out_zero_point);
}

static uint8_t to_u8(float p)
{
    const float v = p * 255.0f + 0.5f;
    return (uint8_t)(v <= 0.0f ? 0.0f : v >= 255.0f ? 255.0f : v);
}

/* Index of the largest of row[0..n) (the first one on ties, as numpy's argmax). */
static uint8_t argmax(const int8_t *row, uint8_t n)
{
    uint8_t k, best = 0;
    for (k = 1; k < n; ++k) {
        if (row[k] > row[best]) best = k;
    }
    return best;
}

void gn_classify_phase(const gn_classify *c, const gn_class_model *m, const int8_t *out, gn_msg_phase *msg)
{
    uint32_t r, s, i = 0;
    msg->count = (uint8_t)((uint32_t)m->hop * m->decimate);
    msg->first_index = c->last_index + 1u - msg->count;
    for (r = 0; r < m->hop; ++r) {
        const int8_t *row = out + r * m->n_classes;
        const uint8_t k = argmax(row, m->n_classes);
        for (s = 0; s < m->decimate; ++s, ++i) {
            msg->code[i] = m->class_code[k];
            msg->confidence[i] = to_u8(probability(m, row[k]));
        }
    }
}

void gn_classify_activity(const gn_classify *c, const gn_class_model *m, const int8_t *out, gn_msg_activity *msg)
{
    uint8_t k;
    msg->sample_index = c->last_index;
    msg->n = m->n_classes;
    msg->code = m->class_code[argmax(out, m->n_classes)];
    for (k = 0; k < m->n_classes; ++k) {
        msg->class_code[k] = m->class_code[k];
        msg->prob[k] = to_u8(probability(m, out[k]));
    }
}

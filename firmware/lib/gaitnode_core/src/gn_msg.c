/* gn_msg.c - message payloads: byte-by-byte little-endian pack/unpack and validation (gn_msg.h). */
#include "gn_msg.h"

#include <stddef.h>
#include <string.h>

/* Every message must fit the payload limit with the board's model count. */
_Static_assert(GN_INFO_HEADER + GN_INFO_MODEL * GN_MAX_MODELS <= GN_MAX_PAYLOAD,
               "INFO with GN_MAX_MODELS models exceeds GN_MAX_PAYLOAD");
_Static_assert(GN_TELEMETRY_HEADER + GN_TELEMETRY_MODEL * GN_MAX_MODELS <= GN_MAX_PAYLOAD,
               "TELEMETRY with GN_MAX_MODELS models exceeds GN_MAX_PAYLOAD");
_Static_assert(GN_MAX_BATCH >= 1 && GN_MAX_BATCH <= 255, "SAMPLES count is a u8");
_Static_assert(GN_MAX_MODELS <= 255, "n_models is a u8");
_Static_assert(GN_PHASE_HEADER + 2u * GN_PHASE_MAX_COUNT <= GN_MAX_PAYLOAD, "PHASE exceeds GN_MAX_PAYLOAD");

int gn_msg_known(uint8_t t)
{
    return t >= (uint8_t)GN_MSG_HELLO && t <= (uint8_t)GN_MSG_ACTIVITY;
}

/* ---- little-endian helpers: each returns the position after the field ---- */

static uint8_t *put_u8(uint8_t *b, uint8_t v)
{
    b[0] = v;
    return b + 1;
}

static uint8_t *put_u16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v & 0xFFu);
    b[1] = (uint8_t)(v >> 8);
    return b + 2;
}

static uint8_t *put_u32(uint8_t *b, uint32_t v)
{
    for (unsigned i = 0; i < 4u; ++i) {
        b[i] = (uint8_t)(v >> (8u * i));
    }
    return b + 4;
}

static uint8_t *put_u64(uint8_t *b, uint64_t v)
{
    for (unsigned i = 0; i < 8u; ++i) {
        b[i] = (uint8_t)(v >> (8u * i));
    }
    return b + 8;
}

static uint8_t *put_f32(uint8_t *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u); /* IEEE-754 binary32 on every target */
    return put_u32(b, u);
}

static uint8_t *put_bytes(uint8_t *b, const void *src, uint32_t n)
{
    memcpy(b, src, n);
    return b + n;
}

static uint16_t get_u16(const uint8_t *b)
{
    return (uint16_t)(b[0] | (b[1] << 8));
}

static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static uint64_t get_u64(const uint8_t *b)
{
    return (uint64_t)get_u32(b) | ((uint64_t)get_u32(b + 4) << 32);
}

static float get_f32(const uint8_t *b)
{
    const uint32_t u = get_u32(b);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* ---- validation (gn_msg_check): the first problem in offset order ---- */

static int bad_length(uint32_t len, uint32_t *detail)
{
    if (detail != NULL) {
        *detail = len;
    }
    return GN_NACK_BAD_LENGTH;
}

static int bad_value(uint32_t offset, uint32_t *detail)
{
    if (detail != NULL) {
        *detail = offset;
    }
    return GN_NACK_BAD_VALUE;
}

/* Fixed-length payload of `want` bytes. */
static int need_len(uint32_t len, uint32_t want, uint32_t *detail)
{
    return len == want ? 0 : bad_length(len, detail);
}

/* f32 at p[off] within [lo, hi] (NaN fails). */
static int in_range(const uint8_t *p, uint32_t off, float lo, float hi)
{
    const float v = get_f32(p + off);
    return v >= lo && v <= hi;
}

static int physiology(uint32_t offset, uint32_t *detail)
{
    if (detail != NULL) {
        *detail = offset;
    }
    return GN_NACK_PHYSIOLOGY;
}

/* f32 at p[off] is 0 (unknown) or within [lo, hi]. */
static int known_within(const uint8_t *p, uint32_t off, float lo, float hi)
{
    const float v = get_f32(p + off);
    return v == 0.0f || (v >= lo && v <= hi);
}

static int check_info(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len < GN_INFO_HEADER || len > GN_MAX_PAYLOAD) {
        return bad_length(len, d);
    }
    if (p[44] > GN_MODE_REPLAY) return bad_value(44, d);
    if (p[45] > 1u) return bad_value(45, d); /* gn_placement */
    if (p[46] > GN_SIDE_RIGHT) return bad_value(46, d);
    if (p[47] > GN_MAX_MODELS) return bad_value(47, d);
    return need_len(len, GN_INFO_HEADER + GN_INFO_MODEL * p[47], d);
}

static int check_config(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_CONFIG_LEN) return bad_length(len, d);
    if (p[0] > GN_SEX_MALE) return bad_value(0, d);
    if (p[1] > 1u) return bad_value(1, d);
    if (p[2] > GN_SIDE_RIGHT) return bad_value(2, d);
    if (!in_range(p, 3, 0.0f, 130.0f)) return bad_value(3, d);
    if (!in_range(p, 7, 0.0f, 3.0f)) return bad_value(7, d);
    if (!in_range(p, 11, 0.0f, 500.0f)) return bad_value(11, d);
    /* the frame is well formed; now what a person can be */
    if (!known_within(p, 3, GN_PHYS_AGE_MIN_YEARS, GN_PHYS_AGE_MAX_YEARS)) return physiology(3, d);
    if (!known_within(p, 7, GN_PHYS_HEIGHT_MIN_M, GN_PHYS_HEIGHT_MAX_M)) return physiology(7, d);
    if (!known_within(p, 11, GN_PHYS_MASS_MIN_KG, GN_PHYS_MASS_MAX_KG)) return physiology(11, d);
    return 0;
}

static int check_mode(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_MODE_LEN) return bad_length(len, d);
    if (p[0] > GN_MODE_REPLAY) return bad_value(0, d);
    return 0;
}

static int check_samples(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len < GN_SAMPLES_HEADER || len > GN_MAX_PAYLOAD) return bad_length(len, d);
    if (p[4] > GN_MAX_BATCH) return bad_value(4, d);
    if (len != GN_SAMPLES_HEADER + GN_SAMPLE_BYTES * p[4]) return bad_length(len, d);
    if (p[5] != 0u) return bad_value(5, d); /* reserved */
    return 0;
}

static int check_heel_strike(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_HEEL_STRIKE_LEN) return bad_length(len, d);
    if (p[20] > GN_SOURCE_CLASSICAL) return bad_value(20, d);
    if (p[21] > GN_SIDE_RIGHT) return bad_value(21, d);
    return 0;
}

static int check_estimate(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_ESTIMATE_LEN) return bad_length(len, d);
    if (p[0] > GN_EST_HEART_RATE) return bad_value(0, d);
    if (p[1] > GN_ESTIMATOR_CNN_LSTM) return bad_value(1, d);
    return 0;
}

static int check_telemetry(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len < GN_TELEMETRY_HEADER || len > GN_MAX_PAYLOAD) return bad_length(len, d);
    if (p[6] > GN_MODE_REPLAY) return bad_value(6, d);
    if (p[7] > GN_MAX_MODELS) return bad_value(7, d);
    return need_len(len, GN_TELEMETRY_HEADER + GN_TELEMETRY_MODEL * p[7], d);
}

static int check_log(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len < 1u || len > GN_MAX_PAYLOAD) return bad_length(len, d);
    if (p[0] > GN_LOG_ERROR) return bad_value(0, d);
    return 0;
}

static int check_ack(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_ACK_LEN) return bad_length(len, d);
    if (!gn_msg_known(p[2])) return bad_value(2, d);
    return 0;
}

static int check_nack(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_NACK_LEN) return bad_length(len, d);
    if (p[3] < GN_NACK_CRC || p[3] > GN_NACK_PHYSIOLOGY) return bad_value(3, d);
    return 0;
}

static int check_calibrate(const uint8_t *p, uint32_t len, uint32_t *d)
{
    (void)p;
    return need_len(len, GN_CALIBRATE_LEN, d);
}

static int check_calibration(const uint8_t *p, uint32_t len, uint32_t *d)
{
    if (len != GN_CALIBRATION_LEN) return bad_length(len, d);
    if (p[0] > 3u) return bad_value(0, d); /* gn_calib_status */
    return 0;
}

static int check_phase(const uint8_t *p, uint32_t len, uint32_t *d)
{
    uint32_t i;
    if (len < GN_PHASE_HEADER + 2u || len > GN_PHASE_HEADER + 2u * GN_PHASE_MAX_COUNT) return bad_length(len, d);
    if (p[4] == 0u || p[4] > GN_PHASE_MAX_COUNT) return bad_value(4, d);
    if (len != GN_PHASE_HEADER + 2u * p[4]) return bad_length(len, d);
    for (i = 0; i < p[4]; ++i) {
        if (p[GN_PHASE_HEADER + 2u * i] >= GN_PHASE_CODES) return bad_value(GN_PHASE_HEADER + 2u * i, d);
    }
    return 0;
}

static int check_activity(const uint8_t *p, uint32_t len, uint32_t *d)
{
    uint32_t i;
    if (len < GN_ACTIVITY_HEADER + 2u || len > GN_ACTIVITY_HEADER + 2u * GN_ACTIVITY_MAX_CLASSES) {
        return bad_length(len, d);
    }
    if (p[4] >= GN_ACTIVITY_CODES) return bad_value(4, d);
    if (p[5] == 0u || p[5] > GN_ACTIVITY_MAX_CLASSES) return bad_value(5, d);
    if (len != GN_ACTIVITY_HEADER + 2u * p[5]) return bad_length(len, d);
    for (i = 0; i < p[5]; ++i) {
        if (p[GN_ACTIVITY_HEADER + 2u * i] >= GN_ACTIVITY_CODES) return bad_value(GN_ACTIVITY_HEADER + 2u * i, d);
    }
    return 0;
}

int gn_msg_check(uint8_t t, const uint8_t *p, uint32_t len, uint32_t *detail)
{
    switch (t) {
    case GN_MSG_HELLO: return need_len(len, 0u, detail);
    case GN_MSG_INFO: return check_info(p, len, detail);
    case GN_MSG_CONFIG: return check_config(p, len, detail);
    case GN_MSG_MODE: return check_mode(p, len, detail);
    case GN_MSG_SAMPLES: return check_samples(p, len, detail);
    case GN_MSG_HEEL_STRIKE: return check_heel_strike(p, len, detail);
    case GN_MSG_ESTIMATE: return check_estimate(p, len, detail);
    case GN_MSG_TELEMETRY: return check_telemetry(p, len, detail);
    case GN_MSG_LOG: return check_log(p, len, detail);
    case GN_MSG_ACK: return check_ack(p, len, detail);
    case GN_MSG_NACK: return check_nack(p, len, detail);
    case GN_MSG_CALIBRATE: return check_calibrate(p, len, detail);
    case GN_MSG_CALIBRATION: return check_calibration(p, len, detail);
    case GN_MSG_PHASE: return check_phase(p, len, detail);
    case GN_MSG_ACTIVITY: return check_activity(p, len, detail);
    default:
        if (detail != NULL) {
            *detail = t;
        }
        return GN_NACK_UNKNOWN_TYPE;
    }
}

/* ---- INFO ---- */

uint32_t gn_msg_pack_info(const gn_msg_info *m, uint8_t *buf, uint32_t cap)
{
    if (m->n_models > GN_MAX_MODELS) return 0u;
    const uint32_t need = GN_INFO_HEADER + GN_INFO_MODEL * m->n_models;
    if (cap < need) return 0u;
    uint8_t *b = put_u8(buf, m->protocol);
    b = put_bytes(b, m->firmware, GN_NAME_LEN);
    b = put_bytes(b, m->board, GN_NAME_LEN);
    b = put_u16(b, m->sample_rate_hz);
    b = put_u16(b, m->acc_range_g);
    b = put_u16(b, m->gyr_range_dps);
    b = put_u16(b, m->mag_range_ut);
    b = put_u16(b, m->ring_capacity);
    b = put_u8(b, m->max_batch);
    b = put_u8(b, m->mode);
    b = put_u8(b, m->placement);
    b = put_u8(b, m->side);
    b = put_u8(b, m->n_models);
    for (unsigned i = 0; i < m->n_models; ++i) {
        const gn_info_model *x = &m->models[i];
        b = put_bytes(b, x->name, GN_NAME_LEN);
        b = put_bytes(b, x->sha256, 32u);
        b = put_u32(b, x->model_bytes);
        b = put_u32(b, x->arena_bytes);
        b = put_u32(b, x->arena_used);
    }
    return need;
}

int gn_msg_unpack_info(const uint8_t *p, uint32_t len, gn_msg_info *m)
{
    const int r = check_info(p, len, NULL);
    if (r != 0) return r;
    m->protocol = p[0];
    memcpy(m->firmware, p + 1, GN_NAME_LEN);
    memcpy(m->board, p + 17, GN_NAME_LEN);
    m->sample_rate_hz = get_u16(p + 33);
    m->acc_range_g = get_u16(p + 35);
    m->gyr_range_dps = get_u16(p + 37);
    m->mag_range_ut = get_u16(p + 39);
    m->ring_capacity = get_u16(p + 41);
    m->max_batch = p[43];
    m->mode = p[44];
    m->placement = p[45];
    m->side = p[46];
    m->n_models = p[47];
    for (unsigned i = 0; i < m->n_models; ++i) {
        const uint8_t *q = p + GN_INFO_HEADER + GN_INFO_MODEL * i;
        gn_info_model *x = &m->models[i];
        memcpy(x->name, q, GN_NAME_LEN);
        memcpy(x->sha256, q + 16, 32u);
        x->model_bytes = get_u32(q + 48);
        x->arena_bytes = get_u32(q + 52);
        x->arena_used = get_u32(q + 56);
    }
    return 0;
}

/* ---- CONFIG ---- */

uint32_t gn_msg_pack_config(const gn_msg_config *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_CONFIG_LEN) return 0u;
    uint8_t *b = put_u8(buf, m->sex);
    b = put_u8(b, m->placement);
    b = put_u8(b, m->side);
    b = put_f32(b, m->age_years);
    b = put_f32(b, m->height_m);
    b = put_f32(b, m->mass_kg);
    b = put_u16(b, m->telemetry_period_ms);
    (void)put_u16(b, m->estimate_period_ms);
    return GN_CONFIG_LEN;
}

int gn_msg_unpack_config(const uint8_t *p, uint32_t len, gn_msg_config *m)
{
    const int r = check_config(p, len, NULL);
    if (r != 0) return r;
    m->sex = p[0];
    m->placement = p[1];
    m->side = p[2];
    m->age_years = get_f32(p + 3);
    m->height_m = get_f32(p + 7);
    m->mass_kg = get_f32(p + 11);
    m->telemetry_period_ms = get_u16(p + 15);
    m->estimate_period_ms = get_u16(p + 17);
    return 0;
}

/* ---- MODE ---- */

uint32_t gn_msg_pack_mode(const gn_msg_mode *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_MODE_LEN) return 0u;
    buf[0] = m->mode;
    return GN_MODE_LEN;
}

int gn_msg_unpack_mode(const uint8_t *p, uint32_t len, gn_msg_mode *m)
{
    const int r = check_mode(p, len, NULL);
    if (r != 0) return r;
    m->mode = p[0];
    return 0;
}

/* ---- SAMPLES ---- */

uint32_t gn_msg_pack_samples(const gn_msg_samples *m, uint8_t *buf, uint32_t cap)
{
    if (m->count > GN_MAX_BATCH) return 0u;
    const uint32_t need = GN_SAMPLES_HEADER + GN_SAMPLE_BYTES * m->count;
    if (cap < need) return 0u;
    uint8_t *b = put_u32(buf, m->first_index);
    b = put_u8(b, m->count);
    b = put_u8(b, 0u);
    for (unsigned i = 0; i < m->count; ++i) {
        for (unsigned a = 0; a < GN_AXES; ++a) {
            b = put_u16(b, (uint16_t)m->raw[i][a]);
        }
    }
    return need;
}

int gn_msg_unpack_samples(const uint8_t *p, uint32_t len, gn_msg_samples *m)
{
    const int r = check_samples(p, len, NULL);
    if (r != 0) return r;
    m->first_index = get_u32(p);
    m->count = p[4];
    const uint8_t *q = p + GN_SAMPLES_HEADER;
    for (unsigned i = 0; i < m->count; ++i) {
        for (unsigned a = 0; a < GN_AXES; ++a, q += 2) {
            const uint16_t u = get_u16(q);
            /* two's complement without implementation-defined conversion */
            m->raw[i][a] = (int16_t)(u < 0x8000u ? (int32_t)u : (int32_t)u - 65536);
        }
    }
    return 0;
}

/* ---- HEEL_STRIKE ---- */

uint32_t gn_msg_pack_heel_strike(const gn_msg_heel_strike *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_HEEL_STRIKE_LEN) return 0u;
    uint8_t *b = put_u64(buf, m->t_us);
    b = put_u32(b, m->sample_index);
    b = put_f32(b, m->frac);
    b = put_f32(b, m->confidence);
    b = put_u8(b, m->source);
    (void)put_u8(b, m->side);
    return GN_HEEL_STRIKE_LEN;
}

int gn_msg_unpack_heel_strike(const uint8_t *p, uint32_t len, gn_msg_heel_strike *m)
{
    const int r = check_heel_strike(p, len, NULL);
    if (r != 0) return r;
    m->t_us = get_u64(p);
    m->sample_index = get_u32(p + 8);
    m->frac = get_f32(p + 12);
    m->confidence = get_f32(p + 16);
    m->source = p[20];
    m->side = p[21];
    return 0;
}

/* ---- ESTIMATE ---- */

uint32_t gn_msg_pack_estimate(const gn_msg_estimate *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_ESTIMATE_LEN) return 0u;
    uint8_t *b = put_u8(buf, m->kind);
    b = put_u8(b, m->estimator);
    b = put_u32(b, m->sample_index);
    (void)put_f32(b, m->value);
    return GN_ESTIMATE_LEN;
}

int gn_msg_unpack_estimate(const uint8_t *p, uint32_t len, gn_msg_estimate *m)
{
    const int r = check_estimate(p, len, NULL);
    if (r != 0) return r;
    m->kind = p[0];
    m->estimator = p[1];
    m->sample_index = get_u32(p + 2);
    m->value = get_f32(p + 6);
    return 0;
}

/* ---- TELEMETRY ---- */

uint32_t gn_msg_pack_telemetry(const gn_msg_telemetry *m, uint8_t *buf, uint32_t cap)
{
    if (m->n_models > GN_MAX_MODELS) return 0u;
    const uint32_t need = GN_TELEMETRY_HEADER + GN_TELEMETRY_MODEL * m->n_models;
    if (cap < need) return 0u;
    uint8_t *b = put_u16(buf, m->loop_load_permille);
    b = put_u16(b, m->ring_high_water);
    b = put_u16(b, m->ring_capacity);
    b = put_u8(b, m->mode);
    b = put_u8(b, m->n_models);
    const uint32_t counters[13] = {
        m->samples_processed, m->dropped_samples, m->rx_frames, m->rx_crc, m->rx_cobs,
        m->rx_short, m->rx_oversized, m->rx_unknown_type, m->rx_bad_length, m->rx_bad_version,
        m->rx_rejected, m->tx_dropped_frames, m->infer_errors};
    for (unsigned i = 0; i < 13u; ++i) {
        b = put_u32(b, counters[i]);
    }
    for (unsigned i = 0; i < m->n_models; ++i) {
        const gn_telemetry_model *x = &m->models[i];
        b = put_u32(b, x->last_us);
        b = put_u32(b, x->max_us);
        b = put_u32(b, x->mean_us);
        b = put_u32(b, x->count);
        b = put_u32(b, x->arena_used);
    }
    return need;
}

int gn_msg_unpack_telemetry(const uint8_t *p, uint32_t len, gn_msg_telemetry *m)
{
    const int r = check_telemetry(p, len, NULL);
    if (r != 0) return r;
    m->loop_load_permille = get_u16(p);
    m->ring_high_water = get_u16(p + 2);
    m->ring_capacity = get_u16(p + 4);
    m->mode = p[6];
    m->n_models = p[7];
    uint32_t *const counters[13] = {
        &m->samples_processed, &m->dropped_samples, &m->rx_frames, &m->rx_crc, &m->rx_cobs,
        &m->rx_short, &m->rx_oversized, &m->rx_unknown_type, &m->rx_bad_length, &m->rx_bad_version,
        &m->rx_rejected, &m->tx_dropped_frames, &m->infer_errors};
    for (unsigned i = 0; i < 13u; ++i) {
        *counters[i] = get_u32(p + 8u + 4u * i);
    }
    for (unsigned i = 0; i < m->n_models; ++i) {
        const uint8_t *q = p + GN_TELEMETRY_HEADER + GN_TELEMETRY_MODEL * i;
        gn_telemetry_model *x = &m->models[i];
        x->last_us = get_u32(q);
        x->max_us = get_u32(q + 4);
        x->mean_us = get_u32(q + 8);
        x->count = get_u32(q + 12);
        x->arena_used = get_u32(q + 16);
    }
    return 0;
}

/* ---- LOG ---- */

uint32_t gn_msg_pack_log(const gn_msg_log *m, uint8_t *buf, uint32_t cap)
{
    if (m->len > GN_LOG_MAX) return 0u;
    const uint32_t need = 1u + m->len;
    if (cap < need) return 0u;
    buf[0] = m->level;
    memcpy(buf + 1, m->text, m->len);
    return need;
}

int gn_msg_unpack_log(const uint8_t *p, uint32_t len, gn_msg_log *m)
{
    const int r = check_log(p, len, NULL);
    if (r != 0) return r;
    m->level = p[0];
    m->len = (uint16_t)(len - 1u);
    memcpy(m->text, p + 1, m->len);
    return 0;
}

/* ---- ACK / NACK ---- */

uint32_t gn_msg_pack_ack(const gn_msg_ack *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_ACK_LEN) return 0u;
    uint8_t *b = put_u16(buf, m->seq);
    b = put_u8(b, m->type);
    b = put_u16(b, m->credits);
    (void)put_u32(b, m->next_index);
    return GN_ACK_LEN;
}

int gn_msg_unpack_ack(const uint8_t *p, uint32_t len, gn_msg_ack *m)
{
    const int r = check_ack(p, len, NULL);
    if (r != 0) return r;
    m->seq = get_u16(p);
    m->type = p[2];
    m->credits = get_u16(p + 3);
    m->next_index = get_u32(p + 5);
    return 0;
}

uint32_t gn_msg_pack_nack(const gn_msg_nack *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_NACK_LEN) return 0u;
    uint8_t *b = put_u16(buf, m->seq);
    b = put_u8(b, m->type);
    b = put_u8(b, m->reason);
    (void)put_u32(b, m->detail);
    return GN_NACK_LEN;
}

int gn_msg_unpack_nack(const uint8_t *p, uint32_t len, gn_msg_nack *m)
{
    const int r = check_nack(p, len, NULL);
    if (r != 0) return r;
    m->seq = get_u16(p);
    m->type = p[2];
    m->reason = p[3];
    m->detail = get_u32(p + 4);
    return 0;
}

/* ---- CALIBRATE / CALIBRATION ---- */

uint32_t gn_msg_pack_calibrate(const gn_msg_calibrate *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_CALIBRATE_LEN) return 0u;
    (void)put_u16(buf, m->n_samples);
    return GN_CALIBRATE_LEN;
}

int gn_msg_unpack_calibrate(const uint8_t *p, uint32_t len, gn_msg_calibrate *m)
{
    const int r = check_calibrate(p, len, NULL);
    if (r != 0) return r;
    m->n_samples = get_u16(p);
    return 0;
}

uint32_t gn_msg_pack_calibration(const gn_msg_calibration *m, uint8_t *buf, uint32_t cap)
{
    if (cap < GN_CALIBRATION_LEN) return 0u;
    uint8_t *b = put_u8(buf, m->status);
    for (unsigned i = 0; i < 3u; ++i) {
        b = put_f32(b, m->gravity[i]);
    }
    for (unsigned i = 0; i < 3u; ++i) {
        for (unsigned j = 0; j < 3u; ++j) {
            b = put_f32(b, m->rot[i][j]);
        }
    }
    return GN_CALIBRATION_LEN;
}

int gn_msg_unpack_calibration(const uint8_t *p, uint32_t len, gn_msg_calibration *m)
{
    const int r = check_calibration(p, len, NULL);
    if (r != 0) return r;
    m->status = p[0];
    for (unsigned i = 0; i < 3u; ++i) {
        m->gravity[i] = get_f32(p + 1u + 4u * i);
    }
    for (unsigned i = 0; i < 3u; ++i) {
        for (unsigned j = 0; j < 3u; ++j) {
            m->rot[i][j] = get_f32(p + 13u + 12u * i + 4u * j);
        }
    }
    return 0;
}

/* ---- PHASE ---- */

uint32_t gn_msg_pack_phase(const gn_msg_phase *m, uint8_t *buf, uint32_t cap)
{
    const uint32_t len = GN_PHASE_HEADER + 2u * m->count;
    uint32_t i;
    if (m->count == 0u || m->count > GN_PHASE_MAX_COUNT || cap < len) return 0u;
    uint8_t *b = put_u32(buf, m->first_index);
    b = put_u8(b, m->count);
    for (i = 0; i < m->count; ++i) {
        if (m->code[i] >= GN_PHASE_CODES) return 0u;
        b = put_u8(b, m->code[i]);
        b = put_u8(b, m->confidence[i]);
    }
    return len;
}

int gn_msg_unpack_phase(const uint8_t *p, uint32_t len, gn_msg_phase *m)
{
    const int r = check_phase(p, len, NULL);
    uint32_t i;
    if (r != 0) return r;
    m->first_index = get_u32(p);
    m->count = p[4];
    for (i = 0; i < m->count; ++i) {
        m->code[i] = p[GN_PHASE_HEADER + 2u * i];
        m->confidence[i] = p[GN_PHASE_HEADER + 2u * i + 1u];
    }
    return 0;
}

/* ---- ACTIVITY ---- */

uint32_t gn_msg_pack_activity(const gn_msg_activity *m, uint8_t *buf, uint32_t cap)
{
    const uint32_t len = GN_ACTIVITY_HEADER + 2u * m->n;
    uint32_t i;
    if (m->n == 0u || m->n > GN_ACTIVITY_MAX_CLASSES || m->code >= GN_ACTIVITY_CODES || cap < len) return 0u;
    uint8_t *b = put_u32(buf, m->sample_index);
    b = put_u8(b, m->code);
    b = put_u8(b, m->n);
    for (i = 0; i < m->n; ++i) {
        if (m->class_code[i] >= GN_ACTIVITY_CODES) return 0u;
        b = put_u8(b, m->class_code[i]);
        b = put_u8(b, m->prob[i]);
    }
    return len;
}

int gn_msg_unpack_activity(const uint8_t *p, uint32_t len, gn_msg_activity *m)
{
    const int r = check_activity(p, len, NULL);
    uint32_t i;
    if (r != 0) return r;
    m->sample_index = get_u32(p);
    m->code = p[4];
    m->n = p[5];
    for (i = 0; i < m->n; ++i) {
        m->class_code[i] = p[GN_ACTIVITY_HEADER + 2u * i];
        m->prob[i] = p[GN_ACTIVITY_HEADER + 2u * i + 1u];
    }
    return 0;
}

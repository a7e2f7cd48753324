/* test_msg.c - message payloads: the shared vectors (C pack of the same fields gives the Python
 * payload bytes, C unpack gives the fields back), validation, limits. */
#include <stdint.h>
#include <string.h>

#include "gn_msg.h"
#include "gn_test.h"
#include "protocol_vectors.h"

typedef union {
    gn_msg_info info;
    gn_msg_config config;
    gn_msg_mode mode;
    gn_msg_samples samples;
    gn_msg_heel_strike heel_strike;
    gn_msg_estimate estimate;
    gn_msg_telemetry telemetry;
    gn_msg_log log;
    gn_msg_ack ack;
    gn_msg_nack nack;
    gn_msg_calibrate calibrate;
    gn_msg_calibration calibration;
    gn_msg_phase phase;
    gn_msg_activity activity;
} any_msg;

static any_msg got;
static uint8_t buf[GN_MAX_PAYLOAD + 64u];

static uint32_t pack_any(uint8_t type, const void *m, uint8_t *b, uint32_t cap)
{
    switch (type) {
    case GN_MSG_INFO: return gn_msg_pack_info(m, b, cap);
    case GN_MSG_CONFIG: return gn_msg_pack_config(m, b, cap);
    case GN_MSG_MODE: return gn_msg_pack_mode(m, b, cap);
    case GN_MSG_SAMPLES: return gn_msg_pack_samples(m, b, cap);
    case GN_MSG_HEEL_STRIKE: return gn_msg_pack_heel_strike(m, b, cap);
    case GN_MSG_ESTIMATE: return gn_msg_pack_estimate(m, b, cap);
    case GN_MSG_TELEMETRY: return gn_msg_pack_telemetry(m, b, cap);
    case GN_MSG_LOG: return gn_msg_pack_log(m, b, cap);
    case GN_MSG_ACK: return gn_msg_pack_ack(m, b, cap);
    case GN_MSG_NACK: return gn_msg_pack_nack(m, b, cap);
    case GN_MSG_CALIBRATE: return gn_msg_pack_calibrate(m, b, cap);
    case GN_MSG_CALIBRATION: return gn_msg_pack_calibration(m, b, cap);
    case GN_MSG_PHASE: return gn_msg_pack_phase(m, b, cap);
    case GN_MSG_ACTIVITY: return gn_msg_pack_activity(m, b, cap);
    default: return 0u;
    }
}

/* -1 for a type without an unpack function (HELLO, unknown). */
static int unpack_any(uint8_t type, const uint8_t *p, uint32_t len, any_msg *m)
{
    switch (type) {
    case GN_MSG_INFO: return gn_msg_unpack_info(p, len, &m->info);
    case GN_MSG_CONFIG: return gn_msg_unpack_config(p, len, &m->config);
    case GN_MSG_MODE: return gn_msg_unpack_mode(p, len, &m->mode);
    case GN_MSG_SAMPLES: return gn_msg_unpack_samples(p, len, &m->samples);
    case GN_MSG_HEEL_STRIKE: return gn_msg_unpack_heel_strike(p, len, &m->heel_strike);
    case GN_MSG_ESTIMATE: return gn_msg_unpack_estimate(p, len, &m->estimate);
    case GN_MSG_TELEMETRY: return gn_msg_unpack_telemetry(p, len, &m->telemetry);
    case GN_MSG_LOG: return gn_msg_unpack_log(p, len, &m->log);
    case GN_MSG_ACK: return gn_msg_unpack_ack(p, len, &m->ack);
    case GN_MSG_NACK: return gn_msg_unpack_nack(p, len, &m->nack);
    case GN_MSG_CALIBRATE: return gn_msg_unpack_calibrate(p, len, &m->calibrate);
    case GN_MSG_CALIBRATION: return gn_msg_unpack_calibration(p, len, &m->calibration);
    case GN_MSG_PHASE: return gn_msg_unpack_phase(p, len, &m->phase);
    case GN_MSG_ACTIVITY: return gn_msg_unpack_activity(p, len, &m->activity);
    default: return -1;
    }
}

/* Field-by-field comparison of an unpacked message with the vector's fields. */
static void check_fields(uint8_t type, const any_msg *a, const void *want)
{
    switch (type) {
    case GN_MSG_INFO: {
        const gn_msg_info *b = want;
        GN_CHECK_EQ_INT(a->info.protocol, b->protocol);
        GN_CHECK(memcmp(a->info.firmware, b->firmware, GN_NAME_LEN) == 0);
        GN_CHECK(memcmp(a->info.board, b->board, GN_NAME_LEN) == 0);
        GN_CHECK_EQ_INT(a->info.sample_rate_hz, b->sample_rate_hz);
        GN_CHECK_EQ_INT(a->info.acc_range_g, b->acc_range_g);
        GN_CHECK_EQ_INT(a->info.gyr_range_dps, b->gyr_range_dps);
        GN_CHECK_EQ_INT(a->info.mag_range_ut, b->mag_range_ut);
        GN_CHECK_EQ_INT(a->info.ring_capacity, b->ring_capacity);
        GN_CHECK_EQ_INT(a->info.max_batch, b->max_batch);
        GN_CHECK_EQ_INT(a->info.mode, b->mode);
        GN_CHECK_EQ_INT(a->info.placement, b->placement);
        GN_CHECK_EQ_INT(a->info.side, b->side);
        GN_CHECK_EQ_INT(a->info.n_models, b->n_models);
        for (unsigned i = 0; i < b->n_models && i < GN_MAX_MODELS; ++i) {
            const gn_info_model *x = &a->info.models[i], *y = &b->models[i];
            GN_CHECK(memcmp(x->name, y->name, GN_NAME_LEN) == 0);
            GN_CHECK(memcmp(x->sha256, y->sha256, 32u) == 0);
            GN_CHECK_EQ_INT(x->model_bytes, y->model_bytes);
            GN_CHECK_EQ_INT(x->arena_bytes, y->arena_bytes);
            GN_CHECK_EQ_INT(x->arena_used, y->arena_used);
        }
        break;
    }
    case GN_MSG_CONFIG: {
        const gn_msg_config *b = want;
        GN_CHECK_EQ_INT(a->config.sex, b->sex);
        GN_CHECK_EQ_INT(a->config.placement, b->placement);
        GN_CHECK_EQ_INT(a->config.side, b->side);
        GN_CHECK(a->config.age_years == b->age_years);
        GN_CHECK(a->config.height_m == b->height_m);
        GN_CHECK(a->config.mass_kg == b->mass_kg);
        GN_CHECK_EQ_INT(a->config.telemetry_period_ms, b->telemetry_period_ms);
        GN_CHECK_EQ_INT(a->config.estimate_period_ms, b->estimate_period_ms);
        break;
    }
    case GN_MSG_MODE:
        GN_CHECK_EQ_INT(a->mode.mode, ((const gn_msg_mode *)want)->mode);
        break;
    case GN_MSG_SAMPLES: {
        const gn_msg_samples *b = want;
        GN_CHECK_EQ_INT(a->samples.first_index, b->first_index);
        GN_CHECK_EQ_INT(a->samples.count, b->count);
        int diff = 0;
        for (unsigned i = 0; i < b->count && i < GN_MAX_BATCH; ++i) {
            for (unsigned k = 0; k < GN_AXES; ++k) {
                diff += a->samples.raw[i][k] != b->raw[i][k];
            }
        }
        GN_CHECK_EQ_INT(diff, 0);
        break;
    }
    case GN_MSG_HEEL_STRIKE: {
        const gn_msg_heel_strike *b = want;
        GN_CHECK(a->heel_strike.t_us == b->t_us);
        GN_CHECK_EQ_INT(a->heel_strike.sample_index, b->sample_index);
        GN_CHECK(a->heel_strike.frac == b->frac);
        GN_CHECK(a->heel_strike.confidence == b->confidence);
        GN_CHECK_EQ_INT(a->heel_strike.source, b->source);
        GN_CHECK_EQ_INT(a->heel_strike.side, b->side);
        break;
    }
    case GN_MSG_ESTIMATE: {
        const gn_msg_estimate *b = want;
        GN_CHECK_EQ_INT(a->estimate.kind, b->kind);
        GN_CHECK_EQ_INT(a->estimate.estimator, b->estimator);
        GN_CHECK_EQ_INT(a->estimate.sample_index, b->sample_index);
        GN_CHECK(a->estimate.value == b->value);
        break;
    }
    case GN_MSG_TELEMETRY: {
        const gn_msg_telemetry *b = want;
        const gn_msg_telemetry *t = &a->telemetry;
        GN_CHECK_EQ_INT(t->loop_load_permille, b->loop_load_permille);
        GN_CHECK_EQ_INT(t->ring_high_water, b->ring_high_water);
        GN_CHECK_EQ_INT(t->ring_capacity, b->ring_capacity);
        GN_CHECK_EQ_INT(t->mode, b->mode);
        GN_CHECK_EQ_INT(t->n_models, b->n_models);
        GN_CHECK_EQ_INT(t->samples_processed, b->samples_processed);
        GN_CHECK_EQ_INT(t->dropped_samples, b->dropped_samples);
        GN_CHECK_EQ_INT(t->rx_frames, b->rx_frames);
        GN_CHECK_EQ_INT(t->rx_crc, b->rx_crc);
        GN_CHECK_EQ_INT(t->rx_cobs, b->rx_cobs);
        GN_CHECK_EQ_INT(t->rx_short, b->rx_short);
        GN_CHECK_EQ_INT(t->rx_oversized, b->rx_oversized);
        GN_CHECK_EQ_INT(t->rx_unknown_type, b->rx_unknown_type);
        GN_CHECK_EQ_INT(t->rx_bad_length, b->rx_bad_length);
        GN_CHECK_EQ_INT(t->rx_bad_version, b->rx_bad_version);
        GN_CHECK_EQ_INT(t->rx_rejected, b->rx_rejected);
        GN_CHECK_EQ_INT(t->tx_dropped_frames, b->tx_dropped_frames);
        GN_CHECK_EQ_INT(t->infer_errors, b->infer_errors);
        for (unsigned i = 0; i < b->n_models && i < GN_MAX_MODELS; ++i) {
            const gn_telemetry_model *x = &t->models[i], *y = &b->models[i];
            GN_CHECK_EQ_INT(x->last_us, y->last_us);
            GN_CHECK_EQ_INT(x->max_us, y->max_us);
            GN_CHECK_EQ_INT(x->mean_us, y->mean_us);
            GN_CHECK_EQ_INT(x->count, y->count);
            GN_CHECK_EQ_INT(x->arena_used, y->arena_used);
        }
        break;
    }
    case GN_MSG_LOG: {
        const gn_msg_log *b = want;
        GN_CHECK_EQ_INT(a->log.level, b->level);
        GN_CHECK_EQ_INT(a->log.len, b->len);
        GN_CHECK(a->log.len == b->len && memcmp(a->log.text, b->text, b->len) == 0);
        break;
    }
    case GN_MSG_ACK: {
        const gn_msg_ack *b = want;
        GN_CHECK_EQ_INT(a->ack.seq, b->seq);
        GN_CHECK_EQ_INT(a->ack.type, b->type);
        GN_CHECK_EQ_INT(a->ack.credits, b->credits);
        GN_CHECK_EQ_INT(a->ack.next_index, b->next_index);
        break;
    }
    case GN_MSG_NACK: {
        const gn_msg_nack *b = want;
        GN_CHECK_EQ_INT(a->nack.seq, b->seq);
        GN_CHECK_EQ_INT(a->nack.type, b->type);
        GN_CHECK_EQ_INT(a->nack.reason, b->reason);
        GN_CHECK_EQ_INT(a->nack.detail, b->detail);
        break;
    }
    case GN_MSG_PHASE: {
        const gn_msg_phase *b = want;
        GN_CHECK_EQ_INT(a->phase.first_index, b->first_index);
        GN_CHECK_EQ_INT(a->phase.count, b->count);
        GN_CHECK(memcmp(a->phase.code, b->code, b->count) == 0);
        GN_CHECK(memcmp(a->phase.confidence, b->confidence, b->count) == 0);
        break;
    }
    case GN_MSG_ACTIVITY: {
        const gn_msg_activity *b = want;
        GN_CHECK_EQ_INT(a->activity.sample_index, b->sample_index);
        GN_CHECK_EQ_INT(a->activity.code, b->code);
        GN_CHECK_EQ_INT(a->activity.n, b->n);
        GN_CHECK(memcmp(a->activity.class_code, b->class_code, b->n) == 0);
        GN_CHECK(memcmp(a->activity.prob, b->prob, b->n) == 0);
        break;
    }
    case GN_MSG_CALIBRATE:
        GN_CHECK_EQ_INT(a->calibrate.n_samples, ((const gn_msg_calibrate *)want)->n_samples);
        break;
    case GN_MSG_CALIBRATION: {
        const gn_msg_calibration *b = want;
        GN_CHECK_EQ_INT(a->calibration.status, b->status);
        for (unsigned i = 0; i < 3u; ++i) {
            GN_CHECK(a->calibration.gravity[i] == b->gravity[i]);
            for (unsigned j = 0; j < 3u; ++j) {
                GN_CHECK(a->calibration.rot[i][j] == b->rot[i][j]);
            }
        }
        break;
    }
    default:
        GN_CHECK(0);
    }
}

static void test_vectors_pack(void)
{
    uint32_t types_seen = 0;
    for (uint32_t i = 0; i < GN_VEC_N_MESSAGES; ++i) {
        const gn_vec_message *v = &gn_vec_messages[i];
        gn_test_current = v->name;
        types_seen |= 1u << v->type;
        if (v->fields == NULL) {
            GN_CHECK_EQ_INT(v->type, GN_MSG_HELLO);
            GN_CHECK_EQ_INT(v->payload_len, 0);
            continue;
        }
        memset(buf, 0xEE, sizeof buf);
        const uint32_t n = pack_any(v->type, v->fields, buf, sizeof buf);
        GN_CHECK_EQ_INT(n, v->payload_len);
        GN_CHECK(n == v->payload_len && (n == 0u || memcmp(buf, v->payload, n) == 0));
        /* one byte too little room: nothing packed */
        if (v->payload_len > 0u) {
            GN_CHECK_EQ_INT(pack_any(v->type, v->fields, buf, v->payload_len - 1u), 0);
        }
    }
    /* every message type has a vector */
    for (uint32_t t = GN_MSG_HELLO; t <= GN_MSG_CALIBRATION; ++t) {
        GN_CHECK((types_seen >> t) & 1u);
    }
}

static void test_vectors_unpack(void)
{
    for (uint32_t i = 0; i < GN_VEC_N_MESSAGES; ++i) {
        const gn_vec_message *v = &gn_vec_messages[i];
        gn_test_current = v->name;
        uint32_t detail = 12345u;
        GN_CHECK_EQ_INT(gn_msg_check(v->type, v->payload, v->payload_len, &detail), 0);
        GN_CHECK_EQ_INT(detail, 12345u); /* untouched when valid */
        if (v->fields == NULL) {
            continue;
        }
        memset(&got, 0xCD, sizeof got);
        GN_CHECK_EQ_INT(unpack_any(v->type, v->payload, v->payload_len, &got), 0);
        check_fields(v->type, &got, v->fields);
        /* one byte short is a bad length, except for a LOG that still has its level byte */
        if (v->payload_len > 0u && !(v->type == GN_MSG_LOG && v->payload_len > 1u)) {
            GN_CHECK_EQ_INT(unpack_any(v->type, v->payload, v->payload_len - 1u, &got), GN_NACK_BAD_LENGTH);
            GN_CHECK_EQ_INT(gn_msg_check(v->type, v->payload, v->payload_len - 1u, &detail), GN_NACK_BAD_LENGTH);
            GN_CHECK_EQ_INT(detail, v->payload_len - 1u);
        }
    }
}

static void test_invalid_vectors(void)
{
    GN_CHECK(GN_VEC_N_INVALIDS >= 20u);
    for (uint32_t i = 0; i < GN_VEC_N_INVALIDS; ++i) {
        const gn_vec_invalid *v = &gn_vec_invalids[i];
        gn_test_current = v->name;
        uint32_t detail = 0xDEADu;
        GN_CHECK_EQ_INT(gn_msg_check(v->type, v->payload, v->payload_len, &detail), v->reason);
        GN_CHECK_EQ_INT(detail, v->detail);
        GN_CHECK_EQ_INT(gn_msg_check(v->type, v->payload, v->payload_len, NULL), v->reason);
        const int r = unpack_any(v->type, v->payload, v->payload_len, &got);
        if (r != -1) {
            GN_CHECK_EQ_INT(r, v->reason);
        }
    }
}

static void test_known_types(void)
{
    int known = 0;
    for (uint32_t t = 0; t < 256u; ++t) {
        known += gn_msg_known((uint8_t)t);
    }
    GN_CHECK_EQ_INT(known, 15);
    GN_CHECK(gn_msg_known(GN_MSG_HELLO) && gn_msg_known(GN_MSG_CALIBRATION));
    GN_CHECK(!gn_msg_known(0u) && !gn_msg_known(0x10u) && !gn_msg_known(0xFFu));
}

static void test_count_limits(void)
{
    static gn_msg_samples s;
    memset(&s, 0, sizeof s);
    s.count = GN_MAX_BATCH;
    GN_CHECK_EQ_INT(gn_msg_pack_samples(&s, buf, sizeof buf), GN_SAMPLES_HEADER + GN_SAMPLE_BYTES * GN_MAX_BATCH);
    GN_CHECK(GN_SAMPLES_HEADER + GN_SAMPLE_BYTES * GN_MAX_BATCH <= GN_MAX_PAYLOAD);
    s.count = GN_MAX_BATCH + 1u;
    GN_CHECK_EQ_INT(gn_msg_pack_samples(&s, buf, sizeof buf), 0);

    static gn_msg_info info;
    memset(&info, 0, sizeof info);
    info.n_models = GN_MAX_MODELS;
    GN_CHECK_EQ_INT(gn_msg_pack_info(&info, buf, sizeof buf), GN_INFO_HEADER + GN_INFO_MODEL * GN_MAX_MODELS);
    info.n_models = GN_MAX_MODELS + 1u;
    GN_CHECK_EQ_INT(gn_msg_pack_info(&info, buf, sizeof buf), 0);

    static gn_msg_telemetry tel;
    memset(&tel, 0, sizeof tel);
    tel.n_models = GN_MAX_MODELS + 1u;
    GN_CHECK_EQ_INT(gn_msg_pack_telemetry(&tel, buf, sizeof buf), 0);

    static gn_msg_log log;
    memset(&log, 'x', sizeof log);
    log.level = GN_LOG_INFO;
    log.len = GN_LOG_MAX;
    GN_CHECK_EQ_INT(gn_msg_pack_log(&log, buf, sizeof buf), GN_MAX_PAYLOAD);
    log.len = GN_LOG_MAX + 1u;
    GN_CHECK_EQ_INT(gn_msg_pack_log(&log, buf, sizeof buf), 0);

    /* A payload longer than the limit is a bad length even for variable-size types. */
    static uint8_t big[GN_MAX_PAYLOAD + 1u];
    memset(big, 0, sizeof big);
    uint32_t detail = 0;
    GN_CHECK_EQ_INT(gn_msg_check(GN_MSG_LOG, big, sizeof big, &detail), GN_NACK_BAD_LENGTH);
    GN_CHECK_EQ_INT(detail, sizeof big);
    GN_CHECK_EQ_INT(gn_msg_check(GN_MSG_SAMPLES, big, sizeof big, NULL), GN_NACK_BAD_LENGTH);
}

static uint32_t lcg_state = 77u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}

static void test_samples_round_trip(void)
{
    static gn_msg_samples a, b;
    int bad = 0;
    for (int iter = 0; iter < 500; ++iter) {
        memset(&a, 0, sizeof a);
        a.first_index = lcg() ^ (lcg() << 16);
        a.count = (uint8_t)(lcg() % (GN_MAX_BATCH + 1u));
        for (unsigned i = 0; i < a.count; ++i) {
            for (unsigned k = 0; k < GN_AXES; ++k) {
                a.raw[i][k] = (int16_t)((int32_t)(lcg() % 65536u) - 32768);
            }
        }
        const uint32_t n = gn_msg_pack_samples(&a, buf, sizeof buf);
        memset(&b, 0xCD, sizeof b);
        bad += n != GN_SAMPLES_HEADER + GN_SAMPLE_BYTES * a.count;
        bad += gn_msg_unpack_samples(buf, n, &b) != 0;
        bad += b.first_index != a.first_index || b.count != a.count;
        bad += a.count > 0u && memcmp(a.raw, b.raw, sizeof a.raw[0] * a.count) != 0;
    }
    GN_CHECK_EQ_INT(bad, 0);
}

static void test_random_payloads_never_crash(void)
{
    /* Random bytes of every type and length: unpack is either 0 or a NACK reason, consistently with
     * gn_msg_check (ASan/UBSan watch the reads). */
    int bad = 0;
    static uint8_t p[GN_MAX_PAYLOAD + 4u];
    for (int iter = 0; iter < 5000; ++iter) {
        const uint8_t type = (uint8_t)(lcg() % 16u);
        const uint32_t len = lcg() % 3u == 0u ? lcg() % (GN_MAX_PAYLOAD + 4u) : lcg() % 64u;
        for (uint32_t i = 0; i < len; ++i) {
            p[i] = (uint8_t)(lcg() % 4u == 0u ? 0u : lcg());
        }
        const int c = gn_msg_check(type, p, len, NULL);
        const int r = unpack_any(type, p, len, &got);
        bad += r != -1 && r != c;
        bad += c != 0 && c != GN_NACK_BAD_LENGTH && c != GN_NACK_BAD_VALUE && c != GN_NACK_UNKNOWN_TYPE;
    }
    GN_CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    GN_RUN(test_vectors_pack);
    GN_RUN(test_vectors_unpack);
    GN_RUN(test_invalid_vectors);
    GN_RUN(test_known_types);
    GN_RUN(test_count_limits);
    GN_RUN(test_samples_round_trip);
    GN_RUN(test_random_payloads_never_crash);
    return gn_test_finish("msg");
}

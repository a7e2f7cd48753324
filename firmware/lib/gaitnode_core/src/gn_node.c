/* gn_node.c - the node application (see gn_node.h): protocol dispatch, the per-sample pipeline,
 * and the frames the node sends. */
#include "gn_node.h"

#include <math.h>
#include <string.h>

#define GN_DEFAULT_TELEMETRY_MS 1000u
#define GN_DEFAULT_ESTIMATE_MS 5000u
#define GN_GYRO_GAP_FILL_MAX 1000u      /* gaps up to this many samples are bridged with NaN samples */

/* ---- output ---- */

static uint64_t sample_time_us(const gn_node *n, uint32_t index, float frac)
{
    const uint64_t rate = n->board.sample_rate_hz;
    int64_t sub = (int64_t)(frac * (1e6f / (float)rate));
    return (uint64_t)((int64_t)(n->mode_start_us + ((uint64_t)index * 1000000u) / rate) + sub);
}

static uint64_t node_time_us(gn_node *n)
{
    /* Replay runs on the sample clock (faster than real time): the time of the last sample the
     * pipeline took. Otherwise the platform clock. */
    if (n->mode == GN_MODE_REPLAY) {
        return sample_time_us(n, n->expect_index > 0u ? n->expect_index - 1u : 0u, 0.0f);
    }
    return n->hal.now_us(n->hal.ctx);
}

static void send_frame(gn_node *n, uint8_t type, const uint8_t *payload, uint32_t len)
{
    gn_frame f;
    uint32_t wire_len;
    f.version = (uint8_t)GN_PROTOCOL_VERSION;
    f.type = type;
    f.seq = n->tx_seq;
    f.t_us = node_time_us(n);
    f.payload = payload;
    f.len = (uint16_t)len;
    wire_len = gn_frame_encode(&f, n->wire, (uint32_t)sizeof n->wire);
    if (wire_len == 0u || n->hal.tx_free(n->hal.ctx) < wire_len) {
        ++n->telemetry.tx_dropped_frames; /* never a partial frame: the host would see garbage */
        return;
    }
    n->tx_seq = (uint16_t)(n->tx_seq + 1u);
    if (n->hal.write(n->hal.ctx, n->wire, wire_len) != wire_len) {
        ++n->telemetry.tx_dropped_frames;
    }
}

static void send_ack(gn_node *n, uint16_t seq, uint8_t type)
{
    gn_msg_ack a;
    uint32_t len;
    a.seq = seq;
    a.type = type;
    a.credits = (uint16_t)gn_ring_free(&n->ring);
    a.next_index = n->next_index;
    len = gn_msg_pack_ack(&a, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_ACK, n->payload, len);
}

static void send_nack(gn_node *n, uint16_t seq, uint8_t type, uint8_t reason, uint32_t detail)
{
    gn_msg_nack m;
    uint32_t len;
    m.seq = seq;
    m.type = type;
    m.reason = reason;
    m.detail = detail;
    len = gn_msg_pack_nack(&m, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_NACK, n->payload, len);
}

static void copy_name(char dst[GN_NAME_LEN], const char *src)
{
    size_t i = 0;
    memset(dst, 0, GN_NAME_LEN);
    if (src == NULL) {
        return;
    }
    for (; i < GN_NAME_LEN && src[i] != '\0'; ++i) {
        dst[i] = src[i];
    }
}

static uint32_t arena_used(gn_node *n, uint8_t model)
{
    return n->infer.arena_used != NULL ? n->infer.arena_used(n->infer.ctx, model) : 0u;
}

/* The infer indices of the models the node runs, in the order INFO and TELEMETRY list them. */
static uint8_t listed_models(const gn_node *n, uint8_t slots[GN_INFER_SLOTS])
{
    uint8_t k = 0;
    if (n->has_hs) {
        slots[k++] = (uint8_t)GN_INFER_HEEL_STRIKE;
    }
    if (n->has_vo2) {
        slots[k++] = (uint8_t)GN_INFER_VO2;
    }
    if (n->has_cls[0]) {
        slots[k++] = (uint8_t)GN_INFER_PHASE;
    }
    if (n->has_cls[1]) {
        slots[k++] = (uint8_t)GN_INFER_ACTIVITY;
    }
    return k;
}

/* INFO's description of the model in slot `slot` (one the node runs). */
static void describe_model(const gn_node *n, uint8_t slot, gn_info_model *x)
{
    const char *name;
    const uint8_t *sha;
    uint32_t model_bytes, arena_bytes;
    if (slot == GN_INFER_HEEL_STRIKE) {
        name = n->hs.name;
        sha = n->hs.sha256;
        model_bytes = n->hs.model_bytes;
        arena_bytes = n->hs.arena_bytes;
    } else if (slot == GN_INFER_VO2) {
        name = n->vo2m.name;
        sha = n->vo2m.sha256;
        model_bytes = n->vo2m.model_bytes;
        arena_bytes = n->vo2m.arena_bytes;
    } else {
        const gn_class_model *m = &n->cls[slot - GN_INFER_PHASE];
        name = m->name;
        sha = m->sha256;
        model_bytes = m->model_bytes;
        arena_bytes = m->arena_bytes;
    }
    memcpy(x->name, name, GN_NAME_LEN);
    memcpy(x->sha256, sha, sizeof x->sha256);
    x->model_bytes = model_bytes;
    x->arena_bytes = arena_bytes;
}

static void send_info(gn_node *n)
{
    gn_msg_info *m = &n->scratch.info; /* in the node: keeps ~300 bytes off the loop's stack */
    uint32_t len;
    memset(m, 0, sizeof *m);
    m->protocol = (uint8_t)GN_PROTOCOL_VERSION;
    copy_name(m->firmware, n->board.firmware);
    copy_name(m->board, n->board.board);
    m->sample_rate_hz = n->board.sample_rate_hz;
    m->acc_range_g = n->board.acc_range_g;
    m->gyr_range_dps = n->board.gyr_range_dps;
    m->mag_range_ut = n->board.mag_range_ut;
    m->ring_capacity = (uint16_t)GN_RING_CAPACITY;
    m->max_batch = (uint8_t)GN_MAX_BATCH;
    m->mode = n->mode;
    m->placement = n->config.placement;
    m->side = n->config.side;
    {
        uint8_t slots[GN_INFER_SLOTS];
        uint8_t i;
        m->n_models = listed_models(n, slots);
        for (i = 0; i < m->n_models; ++i) {
            gn_info_model *x = &m->models[i];
            describe_model(n, slots[i], x);
            x->arena_used = arena_used(n, slots[i]);
        }
    }
    len = gn_msg_pack_info(m, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_INFO, n->payload, len);
}

static void send_telemetry(gn_node *n, uint64_t now)
{
    gn_msg_telemetry *t = &n->telemetry;
    uint64_t elapsed = now - n->last_telemetry_us;
    uint8_t slots[GN_INFER_SLOTS];
    uint32_t len;
    uint8_t i;
    t->loop_load_permille = (uint16_t)(elapsed > 0u ? (n->busy_us * 1000u) / elapsed : 0u);
    if (t->loop_load_permille > 1000u) {
        t->loop_load_permille = 1000u;
    }
    t->ring_high_water = (uint16_t)n->ring.high_water;
    t->ring_capacity = (uint16_t)GN_RING_CAPACITY;
    t->mode = n->mode;
    t->samples_processed = n->samples_processed;
    t->dropped_samples = n->ring.dropped;
    t->rx_frames = n->rx.frames_ok;
    t->rx_crc = n->rx.err_crc;
    t->rx_cobs = n->rx.err_cobs;
    t->rx_short = n->rx.err_short;
    t->rx_oversized = n->rx.err_oversized;
    t->n_models = listed_models(n, slots);
    for (i = 0; i < t->n_models; ++i) {
        const gn_node_model_stats *st = &n->stats[slots[i]];
        gn_telemetry_model *m = &t->models[i];
        *m = st->t;
        m->mean_us = st->t.count > 0u ? st->sum_us / st->t.count : 0u;
        m->arena_used = arena_used(n, slots[i]);
    }
    len = gn_msg_pack_telemetry(t, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_TELEMETRY, n->payload, len);
    /* per-period statistics restart; the counters above are cumulative */
    for (i = 0; i < GN_INFER_SLOTS; ++i) {
        n->stats[i].t.max_us = 0;
        n->stats[i].t.count = 0;
        n->stats[i].sum_us = 0;
    }
    n->busy_us = 0;
    n->last_telemetry_us = now;
}

static void send_heel_strike(gn_node *n, uint32_t index, float frac, float confidence, uint8_t source)
{
    gn_msg_heel_strike m;
    uint32_t len;
    m.t_us = sample_time_us(n, index, frac);
    m.sample_index = index;
    m.frac = frac;
    m.confidence = confidence;
    m.source = source;
    m.side = n->config.side;
    len = gn_msg_pack_heel_strike(&m, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_HEEL_STRIKE, n->payload, len);
}

static void send_estimate(gn_node *n, uint8_t kind, uint8_t estimator, uint32_t index, float value)
{
    gn_msg_estimate m;
    uint32_t len;
    m.kind = kind;
    m.estimator = estimator;
    m.sample_index = index;
    m.value = value;
    len = gn_msg_pack_estimate(&m, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_ESTIMATE, n->payload, len);
}

/* ml/kg/min of one estimator, and ml/min when the subject's mass is known. */
static void send_vo2(gn_node *n, uint8_t estimator, uint32_t index, float ml_kg_min)
{
    send_estimate(n, GN_EST_VO2_ML_KG_MIN, estimator, index, ml_kg_min);
    if (n->config.mass_kg > 0.0f) {
        send_estimate(n, GN_EST_VO2_ML_MIN, estimator, index, ml_kg_min * n->config.mass_kg);
    }
}

/* Every estimate period: cadence and stride time, then VO2 from each estimator that has a value. */
static void send_estimates(gn_node *n, uint32_t index)
{
    float stride_s, cadence;
    gn_vo2_result r;
    if (gn_cadence_get(&n->cadence, &stride_s, &cadence)) {
        send_estimate(n, GN_EST_CADENCE, GN_ESTIMATOR_HS_INTERVALS, index, cadence);
        send_estimate(n, GN_EST_STRIDE_TIME, GN_ESTIMATOR_HS_INTERVALS, index, stride_s);
    }
    gn_vo2_estimate(&n->vo2, index, &n->cadence, n->config.sex, n->config.height_m, &r);
    if (r.has_acsm) {
        send_vo2(n, GN_ESTIMATOR_ACSM, index, r.acsm);
    }
    if (r.has_model) {
        send_vo2(n, GN_ESTIMATOR_CNN_LSTM, index, r.model);
    }
}

static void send_calibration(gn_node *n, uint8_t status)
{
    gn_msg_calibration m;
    uint32_t len;
    m.status = status;
    memcpy(m.gravity, n->calib.gravity, sizeof m.gravity);
    memcpy(m.rot, n->rot, sizeof m.rot);
    len = gn_msg_pack_calibration(&m, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_CALIBRATION, n->payload, len);
}

static void flush_live_batch(gn_node *n)
{
    uint32_t len;
    if (n->live_batch.count == 0u) {
        return;
    }
    len = gn_msg_pack_samples(&n->live_batch, n->payload, (uint32_t)sizeof n->payload);
    send_frame(n, GN_MSG_SAMPLES, n->payload, len);
    n->live_batch.count = 0;
}

/* ---- pipeline ---- */

static int init_gyro(gn_node *n, uint32_t base)
{
    gn_gyro_hs_params gp;
    gn_gyro_hs_default_params(&gp, (int32_t)n->config.placement);
    gp.rate_hz = (float)n->board.sample_rate_hz;
    n->gyro_base = base;
    return gn_gyro_hs_init(&n->gyro, &gp);
}

/* Where the VO2 windows start after a (re)start of the stream at `base`: phased so that they
 * complete half a heel-strike hop after the heel-strike windows (see gn_node.h). */
static uint32_t vo2_window_start(const gn_node *n, uint32_t base)
{
    int32_t hop, lag;
    if (!n->has_hs) {
        return base;
    }
    hop = (int32_t)n->hs.output.hop;
    lag = ((int32_t)n->hs.output.window + hop / 2 - (int32_t)n->vo2m.window) % hop;
    return base + (uint32_t)(lag < 0 ? lag + hop : lag);
}

/* The VO2 model's window restarts with the stream at `base`. */
static void restart_vo2_window(gn_node *n, uint32_t base)
{
    n->vo2_start = vo2_window_start(n, base);
    gn_window_reset_at(&n->vo2_window, n->vo2_start);
}

/* Every stage back to its start (init, mode change). Returns 0, or gn_node_init's code for the
 * description a stage refused (1 board/placement, 3 model output or picker, 4 model window,
 * 6 VO2 window, hop, output or smoothing). */
static int reset_pipeline(gn_node *n)
{
    gn_cadence_params cp;
    gn_vo2_params vp;
    gn_cadence_default_params(&cp);
    cp.rate_hz = (float)n->board.sample_rate_hz;
    if (init_gyro(n, 0) != 0 || gn_cadence_init(&n->cadence, &cp) != 0) {
        return 1;
    }
    if (n->has_hs) {
        if (gn_hs_stitch_init(&n->stitch, &n->hs.output, &n->hs.picker) != 0) {
            return 3;
        }
        if (gn_window_init(&n->window, n->hs.output.window, n->hs.output.hop, n->hs.input.n_channels) != 0) {
            return 4;
        }
    }
    gn_vo2_default_params(&vp);
    vp.rate_hz = (float)n->board.sample_rate_hz;
    if (n->has_vo2) {
        vp.model_tau_s = n->vo2m.smooth_tau_s;
        vp.model_out_scale = n->vo2m.out_scale;
        vp.model_out_zero_point = n->vo2m.out_zero_point;
        if (gn_window_init(&n->vo2_window, n->vo2m.window, n->vo2m.hop, n->vo2m.input.n_channels) != 0) {
            return 6;
        }
        restart_vo2_window(n, 0);
    }
    if (gn_vo2_init(&n->vo2, &vp) != 0) {
        return 6;
    }
    {
        uint8_t k;
        for (k = 0; k < 2u; ++k) {
            if (n->has_cls[k]) { /* checked when added: cannot fail here */
                (void)gn_classify_init(&n->cls_stage[k], &n->cls[k], k == 0u ? GN_PHASE_CODES : GN_ACTIVITY_CODES);
            }
        }
    }
    n->expect_index = 0;
    n->samples_processed = 0;
    n->last_estimate_index = 0;
    n->live_batch.count = 0;
    return 0;
}

/* One inference of model `model` on in_buf, timed; 0 on success (else counted as an error). */
static int infer_timed(gn_node *n, uint8_t model, uint32_t in_len, int8_t *out, uint32_t out_len)
{
    gn_node_model_stats *st = &n->stats[model];
    const uint64_t t0 = n->hal.now_us(n->hal.ctx);
    const int rc = n->infer.run(n->infer.ctx, model, n->in_buf, in_len, out, out_len);
    const uint64_t dt = n->hal.now_us(n->hal.ctx) - t0;
    if (rc != 0) {
        ++n->telemetry.infer_errors;
        return rc;
    }
    st->t.last_us = (uint32_t)dt;
    if (st->t.last_us > st->t.max_us) {
        st->t.max_us = st->t.last_us;
    }
    ++st->t.count;
    st->sum_us += st->t.last_us;
    return 0;
}

static void run_model(gn_node *n)
{
    const uint32_t in_len = (uint32_t)n->hs.output.window * n->hs.input.n_channels;
    gn_hs_event *ev = n->events;
    uint32_t k, n_ev;
    gn_window_copy(&n->window, n->in_buf);
    if (infer_timed(n, (uint8_t)GN_INFER_HEEL_STRIKE, in_len, n->out_buf, n->hs.output.window) != 0) {
        return;
    }
    n_ev = gn_hs_stitch_window(&n->stitch, gn_window_start(&n->window), n->out_buf, ev, GN_MAX_EVENTS_PER_WINDOW);
    for (k = 0; k < n_ev; ++k) {
        send_heel_strike(n, ev[k].index, ev[k].frac, ev[k].value, GN_SOURCE_NN);
        gn_cadence_push(&n->cadence, ev[k].index, ev[k].frac);
    }
}

/* The VO2 model on its current window (in_buf is free again: the heel-strike work of this
 * sample is done). */
static void run_vo2_model(gn_node *n)
{
    const uint32_t in_len = (uint32_t)n->vo2m.window * n->vo2m.input.n_channels;
    int8_t q;
    gn_window_copy(&n->vo2_window, n->in_buf);
    if (infer_timed(n, (uint8_t)GN_INFER_VO2, in_len, &q, 1u) == 0) {
        gn_vo2_model_output(&n->vo2, q);
    }
}

/* Classifier k (0 phase, 1 activity) on its current window; sends PHASE or ACTIVITY. */
static void run_classifier(gn_node *n, uint8_t k)
{
    const gn_class_model *m = &n->cls[k];
    const gn_classify *c = &n->cls_stage[k];
    uint32_t len;
    gn_window_copy(&c->window, n->in_buf);
    if (infer_timed(n, (uint8_t)(GN_INFER_PHASE + k), (uint32_t)m->window * m->input.n_channels, n->out_buf,
                    gn_classify_output_len(m)) != 0) {
        return;
    }
    if (k == 0u) {
        gn_classify_phase(c, m, n->out_buf, &n->scratch.phase);
        len = gn_msg_pack_phase(&n->scratch.phase, n->payload, (uint32_t)sizeof n->payload);
        send_frame(n, GN_MSG_PHASE, n->payload, len);
    } else {
        gn_classify_activity(c, m, n->out_buf, &n->scratch.activity);
        len = gn_msg_pack_activity(&n->scratch.activity, n->payload, (uint32_t)sizeof n->payload);
        send_frame(n, GN_MSG_ACTIVITY, n->payload, len);
    }
}

static void handle_gap(gn_node *n, uint32_t index)
{
    const uint32_t missing = index - n->expect_index;
    static const float nan3[3] = {NAN, NAN, NAN};
    uint32_t k;
    if (missing <= GN_GYRO_GAP_FILL_MAX) {
        for (k = 0; k < missing; ++k) { /* keeps the gyro detector's count equal to the stream index */
            (void)gn_gyro_hs_push(&n->gyro, nan3, NULL);
        }
    } else {
        (void)init_gyro(n, index);
    }
    if (n->has_hs) {
        gn_window_reset_at(&n->window, index); /* windows restart after the gap; the stitch follows */
    }
    if (n->has_vo2) {
        restart_vo2_window(n, index);
    }
    for (k = 0; k < 2u; ++k) {
        if (n->has_cls[k]) {
            gn_classify_reset_at(&n->cls_stage[k], index);
        }
    }
    gn_cadence_reset(&n->cadence);
}

static void process_sample(gn_node *n, const gn_raw_sample *s)
{
    float phys[GN_AXES];
    gn_hs_event ev;
    if (s->index != n->expect_index) {
        handle_gap(n, s->index);
    }
    n->expect_index = s->index + 1u;
    gn_input_physical(&n->scale, (const float(*)[3])n->rot, s->raw, phys);

    if (n->calibrating) { /* calibration sees the sensor frame, not the current rotation */
        float sensor[GN_AXES];
        gn_calib_status st;
        gn_input_physical(&n->scale, NULL, s->raw, sensor);
        st = gn_calib_push(&n->calib, &sensor[GN_ACC], &sensor[GN_GYR]);
        if (st != GN_CALIB_BUSY) {
            if (st == GN_CALIB_DONE) {
                memcpy(n->rot, n->calib.rot, sizeof n->rot);
            }
            n->calibrating = 0;
            send_calibration(n, (uint8_t)st);
        }
    }

    if (gn_gyro_hs_push(&n->gyro, &phys[GN_GYR], &ev)) {
        const uint32_t index = n->gyro_base + ev.index;
        send_heel_strike(n, index, ev.frac, 1.0f, GN_SOURCE_CLASSICAL);
        if (!n->has_hs) { /* no network: the classical events drive cadence and ACSM */
            gn_cadence_push(&n->cadence, index, ev.frac);
        }
    }

    if (n->has_hs) {
        int8_t row[GN_MAX_CHANNELS];
        gn_input_quantize(&n->hs.input, phys, row);
        if (gn_window_push(&n->window, row)) {
            run_model(n);
        }
    }

    /* after the heel-strike work: the VO2 estimate can wait, the events cannot */
    if (n->has_vo2 && (int32_t)(s->index - n->vo2_start) >= 0) {
        int8_t row[GN_MAX_CHANNELS];
        gn_input_quantize(&n->vo2m.input, phys, row);
        if (gn_window_push(&n->vo2_window, row)) {
            run_vo2_model(n);
        }
    }
    {
        uint8_t k;
        for (k = 0; k < 2u; ++k) {
            if (n->has_cls[k] && gn_classify_push(&n->cls_stage[k], &n->cls[k], phys, s->index)) {
                run_classifier(n, k);
            }
        }
    }

    if (n->mode == GN_MODE_LIVE) {
        gn_msg_samples *b = &n->live_batch;
        if (b->count == 0u) {
            b->first_index = s->index;
        }
        memcpy(b->raw[b->count], s->raw, sizeof b->raw[0]);
        ++b->count;
        /* about ten batches a second, and never more than a frame holds */
        if (b->count >= GN_MAX_BATCH || b->count >= n->board.sample_rate_hz / 10u) {
            flush_live_batch(n);
        }
    }

    ++n->samples_processed;
    {
        const uint32_t period = (uint32_t)n->config.estimate_period_ms * n->board.sample_rate_hz / 1000u;
        if (period > 0u && s->index - n->last_estimate_index >= period) {
            n->last_estimate_index = s->index;
            send_estimates(n, s->index);
        }
    }
}

static uint32_t drain_ring(gn_node *n)
{
    gn_raw_sample s;
    uint32_t done = 0;
    /* what is there now: a fast producer cannot keep the loop here forever */
    const uint32_t available = gn_ring_count(&n->ring);
    while (done < available && gn_ring_pop(&n->ring, &s)) {
        process_sample(n, &s);
        ++done;
    }
    return done;
}

/* ---- commands ---- */

static void end_stream(gn_node *n)
{
    gn_hs_event ev;
    (void)drain_ring(n);
    if (n->has_hs && gn_hs_stitch_flush(&n->stitch, &ev)) {
        send_heel_strike(n, ev.index, ev.frac, ev.value, GN_SOURCE_NN);
    }
    flush_live_batch(n);
}

static void set_mode(gn_node *n, uint8_t mode)
{
    if (n->mode == GN_MODE_LIVE) {
        n->hal.imu_stop(n->hal.ctx);
    }
    if (n->mode != GN_MODE_IDLE) {
        end_stream(n);
    }
    n->calibrating = 0;
    gn_ring_init(&n->ring); /* the producer is stopped: safe to reset both ends */
    (void)reset_pipeline(n);
    n->isr_index = 0;
    n->next_index = 0;
    n->mode = mode;
    n->mode_start_us = mode == GN_MODE_REPLAY ? 0u : n->hal.now_us(n->hal.ctx);
    if (mode == GN_MODE_LIVE) {
        n->hal.imu_start(n->hal.ctx, n->board.sample_rate_hz);
    }
}

static void reject(gn_node *n, const gn_frame *f, uint8_t reason, uint32_t detail)
{
    switch (reason) {
    case GN_NACK_UNKNOWN_TYPE: ++n->telemetry.rx_unknown_type; break;
    case GN_NACK_BAD_LENGTH: ++n->telemetry.rx_bad_length; break;
    case GN_NACK_VERSION: ++n->telemetry.rx_bad_version; break;
    default: ++n->telemetry.rx_rejected; break;
    }
    send_nack(n, f->seq, f->type, reason, detail);
}

/* A payload its unpack function refused: NACK with the reason and detail gn_msg_check gives. */
static void reject_payload(gn_node *n, const gn_frame *f, int rc)
{
    uint32_t detail = 0;
    int why = gn_msg_check(f->type, f->payload, f->len, &detail);
    reject(n, f, (uint8_t)(why != 0 ? why : rc), detail);
}

static void on_samples(gn_node *n, const gn_frame *f)
{
    gn_msg_samples *m = &n->scratch.rx_samples;
    uint32_t k;
    int rc;
    if (n->mode != GN_MODE_REPLAY) {
        reject(n, f, GN_NACK_WRONG_MODE, n->mode);
        return;
    }
    rc = gn_msg_unpack_samples(f->payload, f->len, m);
    if (rc != 0) {
        reject_payload(n, f, rc);
        return;
    }
    if (m->first_index != n->next_index) { /* lost or reordered batch: refuse, the host resends */
        reject(n, f, GN_NACK_SEQUENCE, n->next_index);
        return;
    }
    if (m->count > gn_ring_free(&n->ring)) {
        reject(n, f, GN_NACK_OVERFLOW, gn_ring_free(&n->ring));
        return;
    }
    for (k = 0; k < m->count; ++k) {
        gn_raw_sample s;
        s.index = m->first_index + k;
        memcpy(s.raw, m->raw[k], sizeof s.raw);
        (void)gn_ring_push(&n->ring, &s);
    }
    n->next_index += m->count;
    send_ack(n, f->seq, f->type);
}

static void on_config(gn_node *n, const gn_frame *f)
{
    gn_msg_config c;
    int rc = gn_msg_unpack_config(f->payload, f->len, &c);
    if (rc != 0) {
        reject_payload(n, f, rc);
        return;
    }
    if (c.telemetry_period_ms == 0u) {
        c.telemetry_period_ms = n->config.telemetry_period_ms;
    }
    if (c.estimate_period_ms == 0u) {
        c.estimate_period_ms = n->config.estimate_period_ms;
    }
    {
        const int new_placement = c.placement != n->config.placement;
        n->config = c;
        if (new_placement) { /* the gyro rule differs per placement; the stream goes on */
            (void)init_gyro(n, n->expect_index);
        }
    }
    send_ack(n, f->seq, f->type);
}

static void on_frame(gn_node *n, const gn_frame *f)
{
    int rc;
    if (f->version != GN_PROTOCOL_VERSION) {
        reject(n, f, GN_NACK_VERSION, f->version);
        return;
    }
    switch (f->type) {
    case GN_MSG_HELLO:
        if (f->len != 0u) {
            reject_payload(n, f, GN_NACK_BAD_LENGTH);
            return;
        }
        send_info(n);
        return;
    case GN_MSG_CONFIG:
        on_config(n, f);
        return;
    case GN_MSG_MODE: {
        gn_msg_mode m;
        rc = gn_msg_unpack_mode(f->payload, f->len, &m);
        if (rc != 0) {
            reject_payload(n, f, rc);
            return;
        }
        set_mode(n, m.mode);
        send_ack(n, f->seq, f->type);
        return;
    }
    case GN_MSG_SAMPLES:
        on_samples(n, f);
        return;
    case GN_MSG_CALIBRATE: {
        gn_msg_calibrate m;
        gn_calib_params p;
        rc = gn_msg_unpack_calibrate(f->payload, f->len, &m);
        if (rc != 0) {
            reject_payload(n, f, rc);
            return;
        }
        if (n->mode == GN_MODE_IDLE) {
            reject(n, f, GN_NACK_WRONG_MODE, n->mode);
            return;
        }
        if (n->calibrating) {
            reject(n, f, GN_NACK_BUSY, 0);
            return;
        }
        gn_calib_default_params(&p);
        if (m.n_samples != 0u) {
            p.n_samples = m.n_samples;
        }
        (void)gn_calib_start(&n->calib, &p);
        n->calibrating = 1;
        send_ack(n, f->seq, f->type);
        return;
    }
    default:
        break;
    }
    if (gn_msg_known(f->type)) {
        reject(n, f, GN_NACK_NOT_SENDABLE, f->type);
    } else {
        reject(n, f, GN_NACK_UNKNOWN_TYPE, f->type);
    }
}

/* ---- public ---- */

int gn_node_init(gn_node *n, const gn_node_hal *hal, const gn_infer *infer, const gn_node_board *board,
                 const gn_hs_model *hs, const gn_vo2_model *vo2)
{
    memset(n, 0, sizeof *n);
    n->hal = *hal;
    n->infer = *infer;
    n->board = *board;
    if (board->sample_rate_hz == 0u ||
        gn_scale_from_ranges(&n->scale, board->acc_range_g, board->gyr_range_dps, board->mag_range_ut) != 0) {
        return 1;
    }
    gn_rot_identity(n->rot);
    gn_ring_init(&n->ring);
    gn_frame_decoder_init(&n->rx);
    n->config.placement = GN_PLACEMENT_SHANK;
    n->config.telemetry_period_ms = GN_DEFAULT_TELEMETRY_MS;
    n->config.estimate_period_ms = GN_DEFAULT_ESTIMATE_MS;
    if (hs != NULL) {
        n->hs = *hs;
        n->has_hs = 1;
        n->config.placement = hs->placement;
        if (gn_quant_check(&hs->input) != 0) {
            return 2;
        }
    }
    if (vo2 != NULL) {
        n->vo2m = *vo2;
        n->has_vo2 = 1;
        if (gn_quant_check(&vo2->input) != 0) {
            return 5;
        }
        if (n->has_hs + 1u > GN_MAX_MODELS) {
            return 7;
        }
    }
    {
        const int rc = reset_pipeline(n);
        if (rc != 0) {
            return rc;
        }
    }
    n->mode = GN_MODE_IDLE;
    n->last_telemetry_us = hal->now_us(hal->ctx);
    return 0;
}

int gn_node_add_classifier(gn_node *n, uint8_t slot, const gn_class_model *m)
{
    uint8_t k, slots[GN_INFER_SLOTS];
    int rc;
    if (slot != GN_INFER_PHASE && slot != GN_INFER_ACTIVITY) {
        return 8;
    }
    k = (uint8_t)(slot - GN_INFER_PHASE);
    if (n->has_cls[k]) {
        return 8;
    }
    if (listed_models(n, slots) + 1u > GN_MAX_MODELS) {
        return 9;
    }
    rc = gn_classify_init(&n->cls_stage[k], m, k == 0u ? GN_PHASE_CODES : GN_ACTIVITY_CODES);
    if (rc != 0) {
        return 10 + rc;
    }
    n->cls[k] = *m;
    n->has_cls[k] = 1;
    return 0;
}

void gn_node_start(gn_node *n)
{
    send_info(n);
}

void gn_node_rx(gn_node *n, const uint8_t *data, uint32_t len)
{
    uint32_t i;
    for (i = 0; i < len; ++i) {
        gn_frame f;
        gn_frame_result r = gn_frame_decoder_feed(&n->rx, data[i], &f);
        if (r == GN_FRAME_NONE) {
            continue;
        }
        if (r == GN_FRAME_OK) {
            on_frame(n, &f);
            continue;
        }
        {
            uint8_t reason = r == GN_FRAME_ERR_COBS ? GN_NACK_COBS
                             : r == GN_FRAME_ERR_SHORT ? GN_NACK_TOO_SHORT
                             : r == GN_FRAME_ERR_OVERSIZED ? GN_NACK_OVERSIZED
                                                             : GN_NACK_CRC;
            send_nack(n, n->rx.bad_seq, n->rx.bad_type, reason, 0);
        }
    }
}

uint32_t gn_node_poll(gn_node *n)
{
    const uint64_t t0 = n->hal.now_us(n->hal.ctx);
    uint32_t done = 0;
    uint64_t t1;
    if (n->mode != GN_MODE_IDLE) {
        done = drain_ring(n);
    }
    t1 = n->hal.now_us(n->hal.ctx);
    if (done > 0u) {
        n->busy_us += t1 - t0;
    }
    if (n->config.telemetry_period_ms > 0u &&
        t1 - n->last_telemetry_us >= (uint64_t)n->config.telemetry_period_ms * 1000u) {
        send_telemetry(n, t1);
    }
    return done;
}

void gn_node_imu_isr(gn_node *n, const int16_t raw[GN_AXES])
{
    gn_raw_sample s;
    int k;
    s.index = n->isr_index++;
    for (k = 0; k < GN_AXES; ++k) {
        s.raw[k] = raw[k];
    }
    (void)gn_ring_push(&n->ring, &s);
}

uint32_t gn_node_size(void)
{
    return (uint32_t)sizeof(gn_node);
}

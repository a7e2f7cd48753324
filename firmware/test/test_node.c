/* test_node.c - the node application end to end with a mock platform and a mock model.
 *
 * The mock model (the micro_speech pattern: a mock stands in for TFLM in unit tests; the twin and
 * the boards run the real interpreter) answers "heel strike" for every input sample whose first
 * channel is large, delayed by output_delay like the real contract, so events must come out at
 * known sample indices after windowing, stitching and picking. Frames are built and parsed with
 * the core's own protocol code. */
#include <string.h>

#include "gn_node.h"
#include "gn_test.h"

#define RATE 100u
#define W 16u
#define HOP 4u
#define DELAY 2u
#define CH 6u

/* ---- mock platform ---- */
static uint64_t clock_us;
static uint8_t tx[1u << 16];
static uint32_t tx_len;
static int imu_running;
static uint16_t imu_rate;
static int infer_fail;
static uint32_t infer_calls;

static uint64_t m_now(void *ctx) { (void)ctx; return clock_us; }
static uint32_t m_tx_free(void *ctx) { (void)ctx; return (uint32_t)sizeof tx - tx_len; }
static uint32_t m_write(void *ctx, const uint8_t *d, uint32_t n)
{
    (void)ctx;
    memcpy(tx + tx_len, d, n);
    tx_len += n;
    return n;
}
static void m_imu_start(void *ctx, uint16_t rate) { (void)ctx; imu_running = 1; imu_rate = rate; }
static void m_imu_stop(void *ctx) { (void)ctx; imu_running = 0; }

/* out[j] = 127 (p = 1) when input sample j - DELAY has channel 0 above 50, else -128 (p = 0). */
static int m_run(void *ctx, uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len)
{
    uint32_t j;
    (void)ctx;
    ++infer_calls;
    if (infer_fail || model != 0u || in_len != W * CH || out_len != W) {
        return 1;
    }
    for (j = 0; j < W; ++j) {
        out[j] = (int8_t)((j >= DELAY && in[(j - DELAY) * CH] > 50) ? 127 : -128);
    }
    return 0;
}
static uint32_t m_arena(void *ctx, uint8_t model) { (void)ctx; (void)model; return 1234u; }

static gn_node node;

static void setup(void)
{
    gn_node_hal hal = {m_now, m_tx_free, m_write, m_imu_start, m_imu_stop, NULL};
    gn_infer inf = {m_run, m_arena, NULL};
    gn_node_board board = {"fw-test", "testboard", RATE, 16, 2000, 4900};
    gn_hs_model hs;
    uint32_t c;
    memset(&hs, 0, sizeof hs);
    strcpy(hs.name, "heel_strike");
    hs.sha256[0] = 0xAB;
    hs.model_bytes = 1000;
    hs.arena_bytes = 2000;
    hs.input.n_channels = CH;
    for (c = 0; c < CH; ++c) {
        hs.input.channel[c] = (uint8_t)c;
        hs.input.mean[c] = 0.0f;
        hs.input.std[c] = 1.0f;
    }
    hs.input.scale = 1.0f;
    hs.input.zero_point = 0;
    hs.output.window = W;
    hs.output.hop = HOP;
    hs.output.output_delay = DELAY;
    hs.output.out_scale = 1.0f / 255.0f;
    hs.output.out_zero_point = -128;
    hs.picker.threshold = 0.5f;
    hs.picker.release = 0.4f;
    hs.picker.min_interval = 5;
    hs.placement = 0;
    clock_us = 1000000u;
    tx_len = 0;
    imu_running = 0;
    infer_fail = 0;
    infer_calls = 0;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs), 0);
}

/* ---- host side helpers ---- */
static uint16_t host_seq;

static void host_send(uint8_t version, uint8_t type, const uint8_t *payload, uint32_t len)
{
    static uint8_t wire[GN_FRAME_MAX_WIRE];
    gn_frame f;
    uint32_t n;
    f.version = version;
    f.type = type;
    f.seq = host_seq++;
    f.t_us = 0;
    f.payload = payload;
    f.len = (uint16_t)len;
    n = gn_frame_encode(&f, wire, (uint32_t)sizeof wire);
    GN_CHECK(n > 0u);
    gn_node_rx(&node, wire, n);
}

static void send_mode(uint8_t mode)
{
    uint8_t p[8];
    gn_msg_mode m;
    m.mode = mode;
    host_send(GN_PROTOCOL_VERSION, GN_MSG_MODE, p, gn_msg_pack_mode(&m, p, sizeof p));
}

static void send_samples(uint32_t first, uint32_t count, const uint32_t *markers, uint32_t n_markers)
{
    static gn_msg_samples s;
    static uint8_t p[GN_MAX_PAYLOAD];
    uint32_t k, j;
    memset(&s, 0, sizeof s);
    s.first_index = first;
    s.count = (uint8_t)count;
    for (k = 0; k < count; ++k) {
        for (j = 0; j < n_markers; ++j) { /* a 3-sample bump: acc x ~ 100 m/s^2 */
            if (first + k >= markers[j] && first + k < markers[j] + 3u) {
                s.raw[k][0] = 20889;
            }
        }
    }
    host_send(GN_PROTOCOL_VERSION, GN_MSG_SAMPLES, p, gn_msg_pack_samples(&s, p, sizeof p));
}

/* Decoded node output, one entry per frame. */
typedef struct {
    gn_frame f;
    uint8_t payload[GN_MAX_PAYLOAD];
} out_frame;
static out_frame outs[512];
static uint32_t n_outs;

static void collect(void)
{
    static gn_frame_decoder d;
    uint32_t i;
    gn_frame_decoder_init(&d);
    n_outs = 0;
    for (i = 0; i < tx_len; ++i) {
        gn_frame f;
        gn_frame_result r = gn_frame_decoder_feed(&d, tx[i], &f);
        GN_CHECK(r == GN_FRAME_NONE || r == GN_FRAME_OK);
        if (r == GN_FRAME_OK && n_outs < 512u) {
            outs[n_outs].f = f;
            memcpy(outs[n_outs].payload, f.payload, f.len);
            outs[n_outs].f.payload = outs[n_outs].payload;
            ++n_outs;
        }
    }
    tx_len = 0;
}

static uint32_t count_type(uint8_t type)
{
    uint32_t i, c = 0;
    for (i = 0; i < n_outs; ++i) {
        c += outs[i].f.type == type;
    }
    return c;
}

static const out_frame *first_of(uint8_t type)
{
    uint32_t i;
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == type) {
            return &outs[i];
        }
    }
    return NULL;
}

static gn_msg_nack last_nack(void)
{
    gn_msg_nack m;
    uint32_t i;
    memset(&m, 0, sizeof m);
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == GN_MSG_NACK) {
            GN_CHECK_EQ_INT(gn_msg_unpack_nack(outs[i].f.payload, outs[i].f.len, &m), 0);
        }
    }
    return m;
}

/* ---- tests ---- */

static void test_boot_announces_info(void)
{
    static gn_msg_info info;
    const out_frame *o;
    setup();
    gn_node_start(&node);
    collect();
    GN_CHECK_EQ_INT(n_outs, 1);
    o = first_of(GN_MSG_INFO);
    GN_CHECK(o != NULL);
    if (o == NULL) {
        return;
    }
    GN_CHECK_EQ_INT(o->f.version, GN_PROTOCOL_VERSION);
    GN_CHECK_EQ_INT(gn_msg_unpack_info(o->f.payload, o->f.len, &info), 0);
    GN_CHECK(strcmp(info.board, "testboard") == 0);
    GN_CHECK(strcmp(info.firmware, "fw-test") == 0);
    GN_CHECK_EQ_INT(info.sample_rate_hz, RATE);
    GN_CHECK_EQ_INT(info.acc_range_g, 16);
    GN_CHECK_EQ_INT(info.ring_capacity, GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(info.n_models, 1);
    GN_CHECK(strcmp(info.models[0].name, "heel_strike") == 0);
    GN_CHECK_EQ_INT(info.models[0].sha256[0], 0xAB);
    GN_CHECK_EQ_INT(info.models[0].arena_used, 1234);
    GN_CHECK_EQ_INT(info.mode, GN_MODE_IDLE);
}

static void test_bad_frames_are_nacked_and_the_node_recovers(void)
{
    static const uint8_t garbage[] = {0x05, 0x11, 0x22, 0x33, 0x44, 0x00}; /* valid COBS, too short */
    static const uint8_t junk[] = {0x02, 0x00};
    uint8_t one = 1;
    setup();
    host_send(GN_PROTOCOL_VERSION, GN_MSG_HELLO, &one, 1); /* HELLO carries no payload */
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_BAD_LENGTH);
    GN_CHECK_EQ_INT(last_nack().detail, 1); /* the payload length */
    host_send(GN_PROTOCOL_VERSION, 0x7F, NULL, 0);
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_UNKNOWN_TYPE);
    host_send(GN_PROTOCOL_VERSION, GN_MSG_HEEL_STRIKE, NULL, 0);
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_NOT_SENDABLE);
    host_send(2, GN_MSG_HELLO, NULL, 0);
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_VERSION);
    GN_CHECK_EQ_INT(last_nack().detail, 2);
    gn_node_rx(&node, garbage, sizeof garbage);
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_TOO_SHORT);
    gn_node_rx(&node, junk, sizeof junk);
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_NACK), 1);
    /* still alive and answering */
    host_send(GN_PROTOCOL_VERSION, GN_MSG_HELLO, NULL, 0);
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_INFO), 1);
    GN_CHECK_EQ_INT(node.telemetry.rx_unknown_type, 1);
    GN_CHECK_EQ_INT(node.telemetry.rx_bad_length, 1);
    GN_CHECK_EQ_INT(node.telemetry.rx_bad_version, 1);
    GN_CHECK_EQ_INT(node.rx.err_short, 1);
}

static void test_samples_need_replay_mode(void)
{
    setup();
    send_samples(0, 4, NULL, 0);
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_WRONG_MODE);
    GN_CHECK_EQ_INT(gn_ring_count(&node.ring), 0);
}

static void test_replay_finds_the_marked_heel_strikes(void)
{
    static const uint32_t markers[] = {30, 70, 111};
    static gn_msg_heel_strike ev[16];
    gn_msg_ack ack;
    uint32_t i, n_ev = 0, first;
    setup();
    send_mode(GN_MODE_REPLAY);
    collect();
    GN_CHECK_EQ_INT(gn_msg_unpack_ack(first_of(GN_MSG_ACK)->f.payload, first_of(GN_MSG_ACK)->f.len, &ack), 0);
    GN_CHECK_EQ_INT(ack.credits, GN_RING_CAPACITY);
    GN_CHECK_EQ_INT(ack.next_index, 0);
    for (first = 0; first < 160u; first += 20u) {
        send_samples(first, 20, markers, 3);
        gn_node_poll(&node);
    }
    send_mode(GN_MODE_IDLE);
    collect();
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == GN_MSG_HEEL_STRIKE) {
            gn_msg_heel_strike h;
            GN_CHECK_EQ_INT(gn_msg_unpack_heel_strike(outs[i].f.payload, outs[i].f.len, &h), 0);
            if (h.source == GN_SOURCE_NN && n_ev < 16u) {
                ev[n_ev++] = h;
            }
        }
    }
    GN_CHECK_EQ_INT(count_type(GN_MSG_NACK), 0);
    GN_CHECK_EQ_INT(n_ev, 3);
    for (i = 0; i < n_ev && i < 3u; ++i) { /* centre of the 3-sample bump, on the replay clock */
        GN_CHECK_EQ_INT(ev[i].sample_index, markers[i] + 1u);
        GN_CHECK_NEAR(ev[i].frac, 0.0, 1e-6);
        GN_CHECK_EQ_INT(ev[i].t_us, (uint64_t)(markers[i] + 1u) * 10000u);
        GN_CHECK_NEAR(ev[i].confidence, 1.0, 1e-6);
    }
    GN_CHECK_EQ_INT(infer_calls, 1u + (160u - W) / HOP);
    GN_CHECK_EQ_INT(node.samples_processed, 0); /* reset by the switch to idle */
}

static void test_replay_refuses_gaps_and_overflow(void)
{
    uint32_t first;
    gn_msg_nack nack;
    setup();
    send_mode(GN_MODE_REPLAY);
    send_samples(0, 10, NULL, 0);
    send_samples(20, 10, NULL, 0); /* 10..19 missing */
    collect();
    nack = last_nack();
    GN_CHECK_EQ_INT(nack.reason, GN_NACK_SEQUENCE);
    GN_CHECK_EQ_INT(nack.detail, 10);
    /* no poll: the ring fills and the node refuses the batch that does not fit */
    for (first = 10; first + 25u <= GN_RING_CAPACITY + 25u; first += 25u) {
        send_samples(first, 25, NULL, 0);
    }
    collect();
    nack = last_nack();
    GN_CHECK_EQ_INT(nack.reason, GN_NACK_OVERFLOW);
    GN_CHECK(nack.detail < 25u);
    GN_CHECK_EQ_INT(node.ring.dropped, 0); /* refused whole, nothing half-inserted */
}

static void test_static_pose_calibration_aligns_gravity(void)
{
    static gn_msg_samples s;
    static uint8_t p[GN_MAX_PAYLOAD];
    gn_msg_calibrate c;
    gn_msg_calibration res;
    uint32_t first, k;
    const out_frame *o;
    setup();
    send_mode(GN_MODE_REPLAY);
    c.n_samples = 50;
    host_send(GN_PROTOCOL_VERSION, GN_MSG_CALIBRATE, p, gn_msg_pack_calibrate(&c, p, sizeof p));
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_NACK), 0);
    for (first = 0; first < 60u; first += 20u) { /* still, gravity along sensor +x */
        memset(&s, 0, sizeof s);
        s.first_index = first;
        s.count = 20;
        for (k = 0; k < 20u; ++k) {
            s.raw[k][0] = 2048; /* 1 g at +-16 g */
        }
        host_send(GN_PROTOCOL_VERSION, GN_MSG_SAMPLES, p, gn_msg_pack_samples(&s, p, sizeof p));
        gn_node_poll(&node);
    }
    collect();
    o = first_of(GN_MSG_CALIBRATION);
    GN_CHECK(o != NULL);
    if (o == NULL) {
        return;
    }
    GN_CHECK_EQ_INT(gn_msg_unpack_calibration(o->f.payload, o->f.len, &res), 0);
    GN_CHECK_EQ_INT(res.status, GN_CALIB_DONE);
    GN_CHECK_NEAR(res.gravity[0], 9.80665, 0.01);
    GN_CHECK_NEAR(res.rot[1][0], 1.0, 1e-4); /* sensor x -> model frame y (up) */
    GN_CHECK_NEAR(node.rot[1][0], 1.0, 1e-4);
}

static void test_calibration_needs_a_stream(void)
{
    uint8_t p[8];
    gn_msg_calibrate c;
    setup();
    c.n_samples = 0;
    host_send(GN_PROTOCOL_VERSION, GN_MSG_CALIBRATE, p, gn_msg_pack_calibrate(&c, p, sizeof p));
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_WRONG_MODE);
}

static void test_live_mode_streams_isr_samples(void)
{
    int16_t raw[GN_AXES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    gn_msg_samples s;
    uint32_t k, i, got = 0, next = 0;
    setup();
    send_mode(GN_MODE_LIVE);
    GN_CHECK(imu_running);
    GN_CHECK_EQ_INT(imu_rate, RATE);
    for (k = 0; k < 25u; ++k) {
        raw[0] = (int16_t)k;
        gn_node_imu_isr(&node, raw);
    }
    gn_node_poll(&node);
    send_mode(GN_MODE_IDLE);
    GN_CHECK(!imu_running);
    collect();
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == GN_MSG_SAMPLES) {
            GN_CHECK_EQ_INT(gn_msg_unpack_samples(outs[i].f.payload, outs[i].f.len, &s), 0);
            GN_CHECK_EQ_INT(s.first_index, next);
            for (k = 0; k < s.count; ++k) {
                GN_CHECK_EQ_INT(s.raw[k][0], (int16_t)(next + k));
                GN_CHECK_EQ_INT(s.raw[k][8], 9);
            }
            next += s.count;
            ++got;
        }
    }
    GN_CHECK_EQ_INT(next, 25);
    GN_CHECK_EQ_INT(got, 3); /* 10 + 10 + the 5 flushed by the mode switch */
}

static void test_telemetry_reports_counters(void)
{
    static const uint8_t bad_crc_frame[] = {0x0F, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0x00};
    gn_msg_telemetry t;
    const out_frame *o;
    setup();
    gn_node_rx(&node, bad_crc_frame, sizeof bad_crc_frame);
    infer_fail = 1;
    send_mode(GN_MODE_REPLAY);
    send_samples(0, 20, NULL, 0);
    gn_node_poll(&node);
    clock_us += 1000000u;
    gn_node_poll(&node);
    collect();
    o = first_of(GN_MSG_TELEMETRY);
    GN_CHECK(o != NULL);
    if (o == NULL) {
        return;
    }
    GN_CHECK_EQ_INT(gn_msg_unpack_telemetry(o->f.payload, o->f.len, &t), 0);
    GN_CHECK_EQ_INT(t.rx_crc, 1);
    GN_CHECK_EQ_INT(t.rx_frames, 2);
    GN_CHECK_EQ_INT(t.samples_processed, 20);
    GN_CHECK_EQ_INT(t.infer_errors, 2); /* windows at 16 and 20, both failed */
    GN_CHECK_EQ_INT(t.mode, GN_MODE_REPLAY);
    GN_CHECK_EQ_INT(t.n_models, 1);
    GN_CHECK_EQ_INT(t.models[0].arena_used, 1234);
    GN_CHECK_EQ_INT(count_type(GN_MSG_HEEL_STRIKE), 0);
}

static void test_init_rejects_bad_descriptions(void)
{
    gn_node_hal hal = {m_now, m_tx_free, m_write, m_imu_start, m_imu_stop, NULL};
    gn_infer inf = {m_run, m_arena, NULL};
    gn_node_board board = {"fw", "b", RATE, 16, 2000, 4900};
    gn_hs_model hs;
    setup();
    hs = node.hs;
    board.sample_rate_hz = 0;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs), 1);
    board.sample_rate_hz = RATE;
    hs.input.std[2] = 0.0f;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs), 2);
    hs.input.std[2] = 1.0f;
    hs.output.hop = 0;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs), 3);
    hs.output.hop = HOP;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, NULL), 0); /* classical only */
}

static uint32_t lcg_state = 12345u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state >> 8;
}

/* Thousands of well-formed frames with random types and payloads, some with flipped bytes, in
 * every mode: every frame gets an answer or is counted, nothing crashes (ASan/UBSan on the host,
 * a fault handler on QEMU), and the node still answers HELLO afterwards. */
static void test_fuzzed_frames_never_break_the_node(void)
{
    static uint8_t payload[GN_MAX_PAYLOAD];
    static uint8_t wire[GN_FRAME_MAX_WIRE];
    uint32_t k, i, good = 0, answers;
    setup();
    for (k = 0; k < 3000u; ++k) {
        gn_frame f;
        uint32_t len = lcg() % 4u == 0u ? lcg() % (GN_MAX_PAYLOAD + 1u) : lcg() % 24u, n;
        for (i = 0; i < len; ++i) {
            payload[i] = (uint8_t)lcg();
        }
        if (k % 50u == 0u) { /* visit every mode; replay accepts in-sequence SAMPLES */
            send_mode((uint8_t)((k / 50u) % 3u));
        }
        f.version = lcg() % 16u == 0u ? (uint8_t)lcg() : (uint8_t)GN_PROTOCOL_VERSION;
        f.type = (uint8_t)(lcg() % 18u);
        f.seq = (uint16_t)k;
        f.t_us = 0;
        f.payload = payload;
        f.len = (uint16_t)len;
        n = gn_frame_encode(&f, wire, sizeof wire);
        if (lcg() % 8u == 0u && n > 2u) {
            wire[lcg() % (n - 1u)] ^= (uint8_t)(1u + lcg() % 255u); /* damage: counted, not answered */
        } else {
            ++good;
        }
        gn_node_rx(&node, wire, n);
        gn_node_poll(&node);
        if (tx_len > sizeof tx / 2u) {
            tx_len = 0;
        }
    }
    tx_len = 0;
    host_send(GN_PROTOCOL_VERSION, GN_MSG_HELLO, NULL, 0);
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_INFO), 1);
    answers = node.rx.frames_ok;
    GN_CHECK(answers >= good); /* every undamaged frame decoded (some damaged ones may decode too) */
    GN_CHECK(node.rx.err_crc + node.rx.err_cobs + node.rx.err_short + node.rx.err_oversized > 0u);
}

int main(void)
{
    GN_RUN(test_boot_announces_info);
    GN_RUN(test_bad_frames_are_nacked_and_the_node_recovers);
    GN_RUN(test_samples_need_replay_mode);
    GN_RUN(test_replay_finds_the_marked_heel_strikes);
    GN_RUN(test_replay_refuses_gaps_and_overflow);
    GN_RUN(test_static_pose_calibration_aligns_gravity);
    GN_RUN(test_calibration_needs_a_stream);
    GN_RUN(test_live_mode_streams_isr_samples);
    GN_RUN(test_telemetry_reports_counters);
    GN_RUN(test_init_rejects_bad_descriptions);
    GN_RUN(test_fuzzed_frames_never_break_the_node);
    return gn_test_finish("node");
}

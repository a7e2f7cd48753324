/* test_node.c - the node application end to end with a mock platform and a mock model.
 *
 * The mock model (the micro_speech pattern: a mock stands in for TFLM in unit tests; the twin and
 * the boards run the real interpreter) answers "heel strike" for every input sample whose first
 * channel is large, delayed by output_delay like the real contract, so events must come out at
 * known sample indices after windowing, stitching and picking. The mock VO2 model answers a
 * constant; the mock clock can charge each inference a run time, so scheduling under load is
 * simulated without a board. Frames are built and parsed with the core's own protocol code. */
#include <math.h>
#include <string.h>

#include "gn_node.h"
#include "gn_test.h"

#define RATE 100u
#define W 16u
#define HOP 4u
#define DELAY 2u
#define CH 6u
#define VCH 3u       /* the VO2 model's channels: acc x, y, z */
#define VO2_Q 40     /* the mock VO2 model's output: 0.5 x (40 + 10) = 25 ml/kg/min */

/* ---- mock platform ---- */
static uint64_t clock_us;
static uint8_t tx[1u << 16];
static uint32_t tx_len;
static int imu_running;
static uint16_t imu_rate;
static int infer_fail;
static uint32_t infer_calls;
static uint32_t vo2_calls;
static uint32_t vo2_window_len = 20u;         /* the VO2 model's window (samples) in setup_vo2 */
static uint64_t infer_cost_us[GN_INFER_SLOTS]; /* mock run time charged to the clock per inference */
/* stream index of the sample being processed at each inference, per model */
static uint32_t ran_at[GN_INFER_SLOTS][512];
static uint32_t n_ran[GN_INFER_SLOTS];

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

static gn_node node;

/* Classifier mocks. Phase (window PW rows, hop PHOP, 2 classes: codes HS, SW): each of the newest
 * PHOP rows is HS when its channel 0 is above 50, else SW. Activity (window AW rows of 2 samples,
 * hop AHOP rows, 3 classes): class 1 (code "sitting") with p = 0.75. */
#define PW 8u
#define PHOP 4u
#define AW 16u
#define AHOP 8u
static uint32_t cls_calls[2];
static int m_classify(uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len)
{
    uint32_t r;
    ++cls_calls[model - GN_INFER_PHASE];
    if (infer_fail) {
        return 1;
    }
    if (model == GN_INFER_PHASE) {
        if (in_len != PW || out_len != PHOP * 2u) {
            return 1;
        }
        for (r = 0; r < PHOP; ++r) {
            const int hs = in[PW - PHOP + r] > 50;
            out[2u * r] = (int8_t)(hs ? 127 : -128);
            out[2u * r + 1u] = (int8_t)(hs ? -128 : 127);
        }
        return 0;
    }
    if (in_len != AW * 3u || out_len != 3u) {
        return 1;
    }
    out[0] = -96; /* p = 32 / 256 */
    out[1] = 64;  /* p = 192 / 256 */
    out[2] = -96;
    return 0;
}

/* Heel-strike model: out[j] = 127 (p = 1) when input sample j - DELAY has channel 0 above 50, else
 * -128 (p = 0). VO2 model: VO2_Q. Each call advances the clock by the model's run time. */
static int m_run(void *ctx, uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len)
{
    uint32_t j;
    (void)ctx;
    if (model < GN_INFER_SLOTS) {
        clock_us += infer_cost_us[model];
        if (n_ran[model] < 512u) {
            ran_at[model][n_ran[model]++] = node.expect_index - 1u;
        }
    }
    if (model == GN_INFER_PHASE || model == GN_INFER_ACTIVITY) {
        return m_classify(model, in, in_len, out, out_len);
    }
    if (model == GN_INFER_VO2) {
        ++vo2_calls;
        if (infer_fail || in_len != vo2_window_len * VCH || out_len != 1u) {
            return 1;
        }
        out[0] = VO2_Q;
        return 0;
    }
    ++infer_calls;
    if (infer_fail || model != GN_INFER_HEEL_STRIKE || in_len != W * CH || out_len != W) {
        return 1;
    }
    for (j = 0; j < W; ++j) {
        out[j] = (int8_t)((j >= DELAY && in[(j - DELAY) * CH] > 50) ? 127 : -128);
    }
    return 0;
}
static uint32_t m_arena(void *ctx, uint8_t model) { (void)ctx; return model == GN_INFER_VO2 ? 4321u : 1234u; }

static gn_hs_model test_hs_model(void)
{
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
    return hs;
}

/* A VO2 model on acc x, y, z (mean 0, std 1, scale 1), window `window`, one inference per `hop`. */
static gn_vo2_model test_vo2_model(uint16_t window, uint16_t hop)
{
    gn_vo2_model v;
    uint32_t c;
    memset(&v, 0, sizeof v);
    strcpy(v.name, "vo2");
    v.sha256[31] = 0xCD;
    v.model_bytes = 3000;
    v.arena_bytes = 5000;
    v.input.n_channels = VCH;
    for (c = 0; c < VCH; ++c) {
        v.input.channel[c] = (uint8_t)c;
        v.input.mean[c] = 0.0f;
        v.input.std[c] = 1.0f;
    }
    v.input.scale = 1.0f;
    v.input.zero_point = 0;
    v.window = window;
    v.hop = hop;
    v.out_scale = 0.5f;
    v.out_zero_point = -10;
    v.smooth_tau_s = 20.0f;
    return v;
}

static const gn_node_hal test_hal = {m_now, m_tx_free, m_write, m_imu_start, m_imu_stop, NULL};
static const gn_infer test_infer = {m_run, m_arena, NULL};
static const gn_node_board test_board = {"fw-test", "testboard", RATE, 16, 2000, 4900};

static void reset_mocks(void)
{
    memset(cls_calls, 0, sizeof cls_calls);
    clock_us = 1000000u;
    tx_len = 0;
    imu_running = 0;
    infer_fail = 0;
    infer_calls = 0;
    vo2_calls = 0;
    memset(infer_cost_us, 0, sizeof infer_cost_us);
    memset(n_ran, 0, sizeof n_ran);
}

/* The node with the heel-strike model (with_hs) and a VO2 model of the given window and hop (window 0: none). */
static void setup_models(int with_hs, uint16_t vo2_window, uint16_t vo2_hop)
{
    const gn_hs_model hs = test_hs_model();
    const gn_vo2_model vo2 = test_vo2_model(vo2_window, vo2_hop);
    reset_mocks();
    vo2_window_len = vo2_window;
    GN_CHECK_EQ_INT(gn_node_init(&node, &test_hal, &test_infer, &test_board, with_hs ? &hs : NULL,
                                 vo2_window > 0u ? &vo2 : NULL), 0);
}

/* The phase mock's description: acc x, identity normalisation, 100 Hz rows. */
static gn_class_model test_phase_model(void)
{
    gn_class_model m;
    memset(&m, 0, sizeof m);
    strcpy(m.name, "phase");
    m.sha256[0] = 0x11;
    m.model_bytes = 700;
    m.arena_bytes = 900;
    m.input.n_channels = 1;
    m.input.std[0] = 1.0f;
    m.input.scale = 1.0f;
    m.window = PW;
    m.hop = PHOP;
    m.decimate = 1;
    m.n_classes = 2;
    m.last_hop = 1;
    m.class_code[0] = 0; /* HS */
    m.class_code[1] = 3; /* SW */
    m.out_scale = 1.0f / 256.0f;
    m.out_zero_point = -128;
    return m;
}

/* The activity mock's description: acc x, y, z, rows of 2 samples (50 Hz on the 100 Hz node). */
static gn_class_model test_activity_model(void)
{
    gn_class_model m = test_phase_model();
    strcpy(m.name, "activity");
    m.input.n_channels = 3;
    m.input.channel[1] = 1;
    m.input.channel[2] = 2;
    m.input.std[1] = m.input.std[2] = 1.0f;
    m.window = AW;
    m.hop = AHOP;
    m.decimate = 2;
    m.n_classes = 3;
    m.last_hop = 0;
    m.class_code[0] = 0; /* walking */
    m.class_code[1] = 3; /* sitting */
    m.class_code[2] = 4; /* standing */
    return m;
}

/* All four models: heel strike, VO2 (window 100, hop 100), phase, activity. */
static void setup_four(void)
{
    const gn_class_model phase = test_phase_model(), activity = test_activity_model();
    setup_models(1, 100, 100);
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_PHASE, &phase), 0);
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_ACTIVITY, &activity), 0);
}

static void setup(void)
{
    setup_models(1, 0, 0);
}

static void setup_vo2(void)
{
    setup_models(1, 20, 8);
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

static void send_config(uint8_t sex, float age, float height, float mass, uint16_t estimate_ms)
{
    uint8_t p[GN_CONFIG_LEN];
    gn_msg_config c;
    memset(&c, 0, sizeof c);
    c.sex = sex;
    c.age_years = age;
    c.height_m = height;
    c.mass_kg = mass;
    c.estimate_period_ms = estimate_ms;
    host_send(GN_PROTOCOL_VERSION, GN_MSG_CONFIG, p, gn_msg_pack_config(&c, p, sizeof p));
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
    gn_vo2_model vo2 = test_vo2_model(20, 8);
    hs = node.hs;
    board.sample_rate_hz = 0;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, NULL), 1);
    board.sample_rate_hz = RATE;
    hs.input.std[2] = 0.0f;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, NULL), 2);
    hs.input.std[2] = 1.0f;
    hs.output.hop = 0;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, NULL), 3);
    hs.output.hop = HOP;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, NULL, NULL), 0); /* classical only */
    /* the VO2 model's description */
    vo2.input.scale = 0.0f;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, &vo2), 5);
    vo2 = test_vo2_model(20, 8);
    vo2.input.channel[1] = 9;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, &vo2), 5);
    vo2 = test_vo2_model(GN_MAX_WINDOW + 1u, 8);
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, &vo2), 6);
    vo2 = test_vo2_model(20, 21); /* hop longer than the window */
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, &vo2), 6);
    vo2 = test_vo2_model(20, 8);
    vo2.out_scale = 0.0f;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, &vo2), 6);
    vo2 = test_vo2_model(20, 8);
    vo2.smooth_tau_s = -1.0f;
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, &hs, &vo2), 6);
    vo2 = test_vo2_model(20, 8);
    GN_CHECK_EQ_INT(gn_node_init(&node, &hal, &inf, &board, NULL, &vo2), 0); /* a VO2 model alone */
}


/* ---- VO2 ---- */

static gn_msg_estimate estimates[256];
static uint32_t n_estimates;

/* The ESTIMATE frames among the collected output, appended to estimates[]. */
static void take_estimates(void)
{
    uint32_t i;
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == GN_MSG_ESTIMATE && n_estimates < 256u) {
            GN_CHECK_EQ_INT(gn_msg_unpack_estimate(outs[i].f.payload, outs[i].f.len, &estimates[n_estimates]), 0);
            ++n_estimates;
        }
    }
}

/* Replay `n` samples with heel-strike markers every `stride` samples from sample 30, polling after
 * every 20 (the host's flow control keeps far below the ring's capacity). */
static void replay_walk(uint32_t n, uint32_t stride)
{
    static uint32_t markers[64];
    uint32_t k, first, n_markers = 0;
    for (k = 30u; k < n && n_markers < 64u; k += stride) {
        markers[n_markers++] = k;
    }
    for (first = 0; first < n; first += 20u) {
        send_samples(first, 20, markers, n_markers);
        gn_node_poll(&node);
        collect();
        take_estimates();
    }
}

static void test_info_and_telemetry_list_the_vo2_model(void)
{
    static gn_msg_info info;
    gn_msg_telemetry t;
    const out_frame *o;
    setup_vo2();
    gn_node_start(&node);
    collect();
    o = first_of(GN_MSG_INFO);
    GN_CHECK(o != NULL);
    if (o == NULL) {
        return;
    }
    GN_CHECK_EQ_INT(gn_msg_unpack_info(o->f.payload, o->f.len, &info), 0);
    GN_CHECK_EQ_INT(info.n_models, 2);
    GN_CHECK(strcmp(info.models[0].name, "heel_strike") == 0);
    GN_CHECK(strcmp(info.models[1].name, "vo2") == 0);
    GN_CHECK_EQ_INT(info.models[1].sha256[31], 0xCD);
    GN_CHECK_EQ_INT(info.models[1].model_bytes, 3000);
    GN_CHECK_EQ_INT(info.models[1].arena_bytes, 5000);
    GN_CHECK_EQ_INT(info.models[1].arena_used, 4321);
    /* per-model inference times: the mock charges 2 ms (heel strike) and 7 ms (VO2) a run */
    infer_cost_us[GN_INFER_HEEL_STRIKE] = 2000u;
    infer_cost_us[GN_INFER_VO2] = 7000u;
    send_mode(GN_MODE_REPLAY);
    send_samples(0, 20, NULL, 0);
    gn_node_poll(&node); /* heel-strike windows at 15 and 19 */
    send_samples(20, 20, NULL, 0);
    gn_node_poll(&node); /* VO2 windows at 21 and 29 (first row at 2), heel strike at 23..39 */
    clock_us += 1000000u;
    gn_node_poll(&node);
    collect();
    o = first_of(GN_MSG_TELEMETRY);
    GN_CHECK(o != NULL);
    if (o == NULL) {
        return;
    }
    GN_CHECK_EQ_INT(gn_msg_unpack_telemetry(o->f.payload, o->f.len, &t), 0);
    GN_CHECK_EQ_INT(t.n_models, 2);
    GN_CHECK_EQ_INT(t.models[0].count, 7);
    GN_CHECK_EQ_INT(t.models[0].last_us, 2000);
    GN_CHECK_EQ_INT(t.models[0].mean_us, 2000);
    GN_CHECK_EQ_INT(t.models[0].arena_used, 1234);
    GN_CHECK_EQ_INT(t.models[1].count, 3);
    GN_CHECK_EQ_INT(t.models[1].last_us, 7000);
    GN_CHECK_EQ_INT(t.models[1].max_us, 7000);
    GN_CHECK_EQ_INT(t.models[1].mean_us, 7000);
    GN_CHECK_EQ_INT(t.models[1].arena_used, 4321);
    GN_CHECK_EQ_INT(t.infer_errors, 0);
}

static void test_vo2_estimates_from_both_estimators(void)
{
    const double walk = 3.5 + 0.1 * 0.415 * 1.75 * 120.0 / 1.1; /* ACSM, male 1.75 m, stride 1.1 s */
    const double a = 1.0 - exp(-1.0 / 30.0);                    /* 1 s estimates, tau 30 s */
    double prev = -1.0, acsm_last = 0.0;
    uint32_t i, n_acsm = 0, n_cnn = 0, n_ml_min = 0, n_cadence = 0, recurrence = 0;
    setup_vo2();
    send_config(GN_SEX_MALE, 30.0f, 1.75f, 70.0f, 1000);
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_ACK), 1);
    n_estimates = 0;
    send_mode(GN_MODE_REPLAY);
    replay_walk(1500, 110);
    for (i = 0; i < n_estimates; ++i) {
        const gn_msg_estimate *e = &estimates[i];
        if (e->kind == GN_EST_CADENCE) {
            ++n_cadence;
            GN_CHECK_NEAR(e->value, 120.0 / 1.1, 1e-3);
        } else if (e->kind == GN_EST_VO2_ML_KG_MIN && e->estimator == GN_ESTIMATOR_ACSM) {
            if (n_acsm == 0u) {
                GN_CHECK_NEAR(e->value, 3.5, 1e-6); /* the first second: no stride yet, standing */
            } else if (prev > 4.0) {
                /* walking: each estimate moves a = 1 - exp(-1/30) of the way to the walking value */
                GN_CHECK_NEAR((e->value - prev) / (walk - prev), a, 1e-3);
                ++recurrence;
            }
            prev = e->value;
            acsm_last = e->value;
            ++n_acsm;
            GN_CHECK_EQ_INT(e->sample_index % 100u, 0u); /* every 100 samples (1 s) */
        } else if (e->kind == GN_EST_VO2_ML_KG_MIN && e->estimator == GN_ESTIMATOR_CNN_LSTM) {
            GN_CHECK_NEAR(e->value, 25.0, 1e-5); /* 0.5 x (40 + 10), constant through the smoother */
            ++n_cnn;
        } else if (e->kind == GN_EST_VO2_ML_MIN) {
            /* follows its ml/kg/min frame of the same estimator and index, times 70 kg */
            const gn_msg_estimate *per_kg = &estimates[i - 1u];
            GN_CHECK_EQ_INT(per_kg->kind, GN_EST_VO2_ML_KG_MIN);
            GN_CHECK_EQ_INT(per_kg->estimator, e->estimator);
            GN_CHECK_EQ_INT(per_kg->sample_index, e->sample_index);
            GN_CHECK_NEAR(e->value, per_kg->value * 70.0f, 1e-3);
            ++n_ml_min;
        }
    }
    GN_CHECK_EQ_INT(n_acsm, 14); /* estimates at 100, 200, ..., 1400 */
    GN_CHECK_EQ_INT(n_cnn, 14);
    GN_CHECK_EQ_INT(n_ml_min, 28);
    GN_CHECK(n_cadence >= 10u);
    GN_CHECK(recurrence >= 10u);
    GN_CHECK(acsm_last > 4.0 && acsm_last < walk);
    GN_CHECK_EQ_INT(count_type(GN_MSG_NACK), 0);
}

static void test_vo2_values_need_height_and_mass(void)
{
    uint32_t i, n_acsm = 0, n_cnn = 0, n_ml_min = 0;
    setup_vo2();
    send_config(GN_SEX_UNKNOWN, 0.0f, 0.0f, 0.0f, 1000); /* nothing known about the subject */
    n_estimates = 0;
    send_mode(GN_MODE_REPLAY);
    replay_walk(500, 110);
    for (i = 0; i < n_estimates; ++i) {
        n_acsm += estimates[i].estimator == GN_ESTIMATOR_ACSM;
        n_cnn += estimates[i].estimator == GN_ESTIMATOR_CNN_LSTM;
        n_ml_min += estimates[i].kind == GN_EST_VO2_ML_MIN;
    }
    GN_CHECK_EQ_INT(n_acsm, 0);   /* ACSM needs the height */
    GN_CHECK_EQ_INT(n_cnn, 4);    /* the model does not */
    GN_CHECK_EQ_INT(n_ml_min, 0); /* ml/min needs the mass */
}

/* The heel-strike payloads of one run, to compare runs with and without the VO2 model. */
static uint8_t hs_bytes[64][GN_HEEL_STRIKE_LEN];
static uint32_t n_hs;

static void take_heel_strikes(uint8_t (*dst)[GN_HEEL_STRIKE_LEN], uint32_t *n)
{
    uint32_t i;
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == GN_MSG_HEEL_STRIKE && *n < 64u) {
            GN_CHECK_EQ_INT(outs[i].f.len, GN_HEEL_STRIKE_LEN);
            memcpy(dst[(*n)++], outs[i].f.payload, GN_HEEL_STRIKE_LEN);
        }
    }
}

/* Live mode at 100 Hz for n samples with heel-strike bumps every 110: the ISR delivers each sample
 * at its time, the loop polls whenever it is free, and every inference costs its mock run time
 * (what a slow board takes), so a long VO2 inference delays the samples behind it in the ring. */
static void run_live_walk(uint32_t n, uint8_t (*dst)[GN_HEEL_STRIKE_LEN], uint32_t *n_dst)
{
    const uint64_t t0 = clock_us;
    uint32_t k = 0;
    *n_dst = 0;
    send_mode(GN_MODE_LIVE);
    collect();
    while (k < n || gn_ring_count(&node.ring) > 0u) {
        while (k < n && t0 + (uint64_t)k * 10000u <= clock_us) {
            int16_t raw[GN_AXES] = {0};
            if (k >= 30u && (k - 30u) % 110u < 3u) {
                raw[0] = 20889;
            }
            gn_node_imu_isr(&node, raw);
            ++k;
        }
        if (gn_ring_count(&node.ring) == 0u) {
            clock_us = t0 + (uint64_t)k * 10000u; /* idle until the next sample */
            continue;
        }
        gn_node_poll(&node);
        collect();
        take_heel_strikes(dst, n_dst);
    }
    send_mode(GN_MODE_IDLE);
    collect();
    take_heel_strikes(dst, n_dst);
}

static void test_vo2_model_leaves_heel_strikes_identical_and_drops_nothing(void)
{
    static uint8_t with_vo2[64][GN_HEEL_STRIKE_LEN];
    uint32_t n_with = 0, i;
    /* a board-like load: 10 ms per heel-strike window (every 40 ms), 300 ms per VO2 window (every 1 s) */
    setup_models(1, 100, 100);
    infer_cost_us[GN_INFER_HEEL_STRIKE] = 10000u;
    infer_cost_us[GN_INFER_VO2] = 300000u;
    run_live_walk(2000, with_vo2, &n_with);
    GN_CHECK_EQ_INT(node.ring.dropped, 0);
    GN_CHECK(node.ring.high_water < GN_RING_CAPACITY / 4u); /* 300 ms of samples, and a little */
    GN_CHECK(vo2_calls >= 18u);
    GN_CHECK_EQ_INT(node.telemetry.infer_errors, 0);

    setup_models(1, 0, 0); /* the same walk, same heel-strike cost, no VO2 model */
    infer_cost_us[GN_INFER_HEEL_STRIKE] = 10000u;
    run_live_walk(2000, hs_bytes, &n_hs);
    GN_CHECK_EQ_INT(node.ring.dropped, 0);
    GN_CHECK_EQ_INT(n_hs, n_with);
    GN_CHECK_EQ_INT(n_hs, 18); /* the network finds every bump (1 + (2000 - 30 - 3) / 110) */
    for (i = 0; i < n_hs && i < n_with; ++i) {
        GN_CHECK_EQ_INT(memcmp(hs_bytes[i], with_vo2[i], GN_HEEL_STRIKE_LEN), 0);
    }
}

static void test_no_sample_runs_both_networks(void)
{
    uint32_t i, j, shared = 0;
    setup_vo2();
    send_mode(GN_MODE_REPLAY);
    replay_walk(600, 110);
    GN_CHECK(n_ran[GN_INFER_HEEL_STRIKE] > 100u && n_ran[GN_INFER_VO2] > 50u);
    for (i = 0; i < n_ran[GN_INFER_VO2]; ++i) {
        /* each VO2 window completes half a heel-strike hop after one */
        GN_CHECK_EQ_INT(ran_at[GN_INFER_VO2][i] % HOP, (W - 1u + HOP / 2u) % HOP);
        for (j = 0; j < n_ran[GN_INFER_HEEL_STRIKE]; ++j) {
            shared += ran_at[GN_INFER_VO2][i] == ran_at[GN_INFER_HEEL_STRIKE][j];
        }
    }
    GN_CHECK_EQ_INT(shared, 0);
    GN_CHECK_EQ_INT(ran_at[GN_INFER_VO2][0], 21); /* first row at 2, window of 20 */
}

/* Sagittal angular rate of a shank over one 1.1 s stride (deg/s), as test_gyro_hs.c. */
static float shank_rate(float ph)
{
    const float a = (ph - 40.0f) / 6.0f, b = (ph - 70.0f) / 8.0f, c = (ph - 92.0f) / 3.0f;
    return -90.0f * expf(-0.5f * a * a) + 350.0f * expf(-0.5f * b * b) - 150.0f * expf(-0.5f * c * c);
}

static void test_classical_events_drive_acsm_without_a_network(void)
{
    static gn_msg_samples smp;
    static uint8_t p[GN_MAX_PAYLOAD];
    const double walk = 3.5 + 0.1 * 0.414 * 1.70 * 120.0 / 1.1;
    uint32_t first, k, i, n_cadence = 0, n_acsm = 0;
    float last_acsm = 0.0f;
    setup_models(0, 0, 0);
    send_config(GN_SEX_UNKNOWN, 0.0f, 1.70f, 0.0f, 1000);
    n_estimates = 0;
    send_mode(GN_MODE_REPLAY);
    for (first = 0; first < 3000u; first += 20u) {
        memset(&smp, 0, sizeof smp);
        smp.first_index = first;
        smp.count = 20;
        for (k = 0; k < 20u; ++k) {
            smp.raw[k][1] = 2048; /* 1 g */
            smp.raw[k][5] = (int16_t)(shank_rate((float)((first + k) % 110u)) * 16.384f);
        }
        host_send(GN_PROTOCOL_VERSION, GN_MSG_SAMPLES, p, gn_msg_pack_samples(&smp, p, sizeof p));
        gn_node_poll(&node);
        collect();
        take_estimates();
    }
    for (i = 0; i < n_estimates; ++i) {
        if (estimates[i].kind == GN_EST_STRIDE_TIME) {
            GN_CHECK_NEAR(estimates[i].value, 1.1, 0.01);
            ++n_cadence;
        }
        if (estimates[i].estimator == GN_ESTIMATOR_ACSM) {
            last_acsm = estimates[i].value;
            ++n_acsm;
        }
    }
    GN_CHECK(n_cadence >= 20u);
    GN_CHECK_EQ_INT(n_acsm, 29);
    GN_CHECK(last_acsm > 0.5 * (3.5 + walk) && last_acsm < walk); /* on its way up to the walking value */
}

static void test_config_outside_physiology_is_refused(void)
{
    gn_msg_nack nack;
    setup();
    send_config(GN_SEX_MALE, 30.0f, 1.75f, 70.0f, 0);
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_ACK), 1);
    send_config(GN_SEX_MALE, 30.0f, 0.3f, 70.0f, 0); /* a height in the wrong unit */
    collect();
    nack = last_nack();
    GN_CHECK_EQ_INT(nack.reason, GN_NACK_PHYSIOLOGY);
    GN_CHECK_EQ_INT(nack.detail, 7);
    send_config(GN_SEX_MALE, 3.0f, 1.75f, 70.0f, 0);
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_PHYSIOLOGY);
    GN_CHECK_EQ_INT(last_nack().detail, 3);
    send_config(GN_SEX_MALE, 30.0f, 1.75f, 350.0f, 0); /* a mass in lb */
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_PHYSIOLOGY);
    GN_CHECK_EQ_INT(last_nack().detail, 11);
    send_config(GN_SEX_MALE, 30.0f, 175.0f, 70.0f, 0); /* outside the wire range: still BAD_VALUE */
    collect();
    GN_CHECK_EQ_INT(last_nack().reason, GN_NACK_BAD_VALUE);
    GN_CHECK_EQ_INT(last_nack().detail, 7);
    /* nothing refused took effect; unknown (0) stays allowed */
    GN_CHECK_NEAR(node.config.height_m, 1.75, 1e-6);
    GN_CHECK_NEAR(node.config.mass_kg, 70.0, 1e-6);
    GN_CHECK_EQ_INT(node.telemetry.rx_rejected, 4);
    send_config(GN_SEX_UNKNOWN, 0.0f, 0.0f, 0.0f, 0);
    collect();
    GN_CHECK_EQ_INT(count_type(GN_MSG_ACK), 1);
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
    setup_vo2(); /* both models: every path of the pipeline */
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

static void test_classifiers_label_every_sample_once(void)
{
    static gn_msg_info info;
    gn_msg_phase ph;
    gn_msg_activity act;
    uint32_t next = PW - PHOP, n_phase = 0, n_act = 0, hs_samples = 0, i, k, s;
    setup_four();
    gn_node_start(&node);
    collect();
    GN_CHECK_EQ_INT(gn_msg_unpack_info(outs[0].f.payload, outs[0].f.len, &info), 0);
    GN_CHECK_EQ_INT(info.n_models, 4);
    GN_CHECK(strcmp(info.models[2].name, "phase") == 0 && strcmp(info.models[3].name, "activity") == 0);
    GN_CHECK_EQ_INT(info.models[2].sha256[0], 0x11);
    GN_CHECK_EQ_INT(info.models[3].model_bytes, 700);
    send_mode(GN_MODE_REPLAY);
    collect();
    for (k = 0; k < 600u; k += 20u) {
        static const uint32_t markers[] = {30, 140, 250, 360, 470, 580};
        send_samples(k, 20, markers, 6);
        gn_node_poll(&node);
        collect();
        for (i = 0; i < n_outs; ++i) {
            if (outs[i].f.type == GN_MSG_PHASE) {
                GN_CHECK_EQ_INT(gn_msg_unpack_phase(outs[i].f.payload, outs[i].f.len, &ph), 0);
                GN_CHECK_EQ_INT(ph.first_index, next); /* contiguous: each sample labelled once */
                GN_CHECK_EQ_INT(ph.count, PHOP);
                for (s = 0; s < ph.count; ++s) {
                    hs_samples += ph.code[s] == 0u;
                    GN_CHECK(ph.code[s] == 0u || ph.code[s] == 3u);
                    GN_CHECK_EQ_INT(ph.confidence[s], 254);
                }
                next = ph.first_index + ph.count;
                ++n_phase;
            } else if (outs[i].f.type == GN_MSG_ACTIVITY) {
                GN_CHECK_EQ_INT(gn_msg_unpack_activity(outs[i].f.payload, outs[i].f.len, &act), 0);
                /* rows of 2 samples: windows end at samples 2 * (AW + AHOP * n) - 1 */
                GN_CHECK_EQ_INT(act.sample_index, 2u * (AW + AHOP * n_act) - 1u);
                GN_CHECK_EQ_INT(act.code, 3);
                GN_CHECK_EQ_INT(act.n, 3);
                GN_CHECK_EQ_INT(act.class_code[2], 4);
                GN_CHECK_EQ_INT(act.prob[1], 191); /* round(255 * 192 / 256) */
                ++n_act;
            }
        }
    }
    GN_CHECK_EQ_INT(n_phase, (600u - PW) / PHOP + 1u);
    GN_CHECK_EQ_INT(hs_samples, 6u * 3u); /* each marker is 3 samples above threshold */
    GN_CHECK_EQ_INT(n_act, (300u - AW) / AHOP + 1u);
    GN_CHECK_EQ_INT(cls_calls[0], n_phase);
    GN_CHECK_EQ_INT(node.telemetry.infer_errors, 0);
}

static void test_classifier_gap_restarts_its_rows(void)
{
    static const uint32_t none[1] = {0};
    gn_msg_phase ph;
    uint32_t i, firsts = 0;
    setup_four();
    send_mode(GN_MODE_REPLAY);
    send_samples(0, 20, none, 0);
    gn_node_poll(&node);
    collect();
    /* white box: let the replay jump over samples 20..99, so the pipeline sees the gap a full ring makes
     * in live mode */
    node.next_index = 100;
    send_samples(100, 20, none, 0);
    gn_node_poll(&node);
    collect();
    for (i = 0; i < n_outs; ++i) {
        if (outs[i].f.type == GN_MSG_PHASE && gn_msg_unpack_phase(outs[i].f.payload, outs[i].f.len, &ph) == 0) {
            firsts += ph.first_index == 100u + PW - PHOP; /* a full window after the gap first */
            GN_CHECK(ph.first_index >= 100u);
        }
    }
    GN_CHECK_EQ_INT(firsts, 1);
}

static void test_all_models_leave_heel_strikes_identical(void)
{
    static uint8_t with_all[64][GN_HEEL_STRIKE_LEN];
    uint32_t n_with = 0, i;
    /* board-like costs: heel strike 10 ms every 40 ms, VO2 300 ms every 1 s, phase 8 ms every
     * 40 ms, activity 60 ms every 160 ms */
    setup_four();
    infer_cost_us[GN_INFER_HEEL_STRIKE] = 10000u;
    infer_cost_us[GN_INFER_VO2] = 300000u;
    infer_cost_us[GN_INFER_PHASE] = 8000u;
    infer_cost_us[GN_INFER_ACTIVITY] = 60000u;
    run_live_walk(2000, with_all, &n_with);
    GN_CHECK_EQ_INT(node.ring.dropped, 0);
    GN_CHECK(node.ring.high_water < GN_RING_CAPACITY / 2u);
    GN_CHECK(cls_calls[0] > 400u && cls_calls[1] > 100u);
    GN_CHECK_EQ_INT(node.telemetry.infer_errors, 0);

    setup_models(1, 0, 0); /* the same walk with the heel-strike model alone */
    infer_cost_us[GN_INFER_HEEL_STRIKE] = 10000u;
    run_live_walk(2000, hs_bytes, &n_hs);
    GN_CHECK_EQ_INT(n_hs, n_with);
    GN_CHECK_EQ_INT(n_hs, 18);
    for (i = 0; i < n_hs && i < n_with; ++i) {
        GN_CHECK_EQ_INT(memcmp(hs_bytes[i], with_all[i], GN_HEEL_STRIKE_LEN), 0);
    }
}

static void test_add_classifier_refuses_bad_descriptions(void)
{
    gn_class_model m = test_phase_model();
    setup();
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_VO2, &m), 8);
    m.class_code[1] = 4; /* not a gait phase */
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_PHASE, &m), 14);
    m = test_phase_model();
    m.hop = PW + 1u;
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_PHASE, &m), 12);
    m = test_phase_model();
    m.class_code[1] = 4; /* a valid activity code */
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_ACTIVITY, &m), 0);
    GN_CHECK_EQ_INT(gn_node_add_classifier(&node, GN_INFER_ACTIVITY, &m), 8); /* taken */
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
    GN_RUN(test_info_and_telemetry_list_the_vo2_model);
    GN_RUN(test_vo2_estimates_from_both_estimators);
    GN_RUN(test_vo2_values_need_height_and_mass);
    GN_RUN(test_vo2_model_leaves_heel_strikes_identical_and_drops_nothing);
    GN_RUN(test_no_sample_runs_both_networks);
    GN_RUN(test_classical_events_drive_acsm_without_a_network);
    GN_RUN(test_config_outside_physiology_is_refused);
    GN_RUN(test_fuzzed_frames_never_break_the_node);
    GN_RUN(test_classifiers_label_every_sample_once);
    GN_RUN(test_classifier_gap_restarts_its_rows);
    GN_RUN(test_all_models_leave_heel_strikes_identical);
    GN_RUN(test_add_classifier_refuses_bad_descriptions);
    return gn_test_finish("node");
}

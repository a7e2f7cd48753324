/* gn_node.h - the node application: protocol in, pipeline, protocol out (respond).
 *
 * provider (ISR: gn_node_imu_isr, or SAMPLES frames in replay mode) -> gn_ring -> gn_input
 * (calibration rotation, units, normalisation, int8) -> gn_window -> gn_infer -> gn_hs_stitch
 * (+ gn_gyro_hs cross-check) -> gn_cadence -> gn_vo2 (ACSM, and the optional VO2 model's own
 * window and input) -> frames out through the HAL. One instance, owned by the platform (a static
 * on boards; allocated by the twin), no heap. The platform calls gn_node_rx with received bytes
 * and gn_node_poll from its main loop; only gn_node_imu_isr may run in interrupt context (integer
 * only: it stamps the sample index and pushes to the ring).
 *
 * Cadence, stride time and the ACSM estimate use the heel-strike model's events; without a
 * heel-strike model, the classical gyro detector's events (so ACSM works on a node with no
 * network at all). Scheduling: all work is done in gn_node_poll, one sample at a time. The VO2
 * model runs once per VO2 hop, after that sample's heel-strike work, and its windows are phased
 * to complete half a heel-strike hop after the heel-strike windows (when its hop is a multiple of
 * the heel-strike hop, no sample runs both networks): a VO2 inference delays heel-strike output
 * by at most its own run time, which the ring absorbs as long as that time is below the ring's
 * capacity in samples (256 samples = 2.56 s at 100 Hz).
 *
 * Classifiers (gn_classify.h; added with gn_node_add_classifier): the gait-phase model every phase
 * hop (sends PHASE for the samples it labelled) and the activity model every activity hop (sends
 * ACTIVITY), each on its own decimated window, after the sample's heel-strike and VO2 work. All
 * models run one at a time from gn_node_poll, so on boards they share one tensor arena (each
 * model's persistent part plus the largest non-persistent part; gaitnode.boards.budget checks the
 * total at build time).
 */
#ifndef GN_NODE_H
#define GN_NODE_H

#include <stdint.h>

#include "gn_cadence.h"
#include "gn_calib.h"
#include "gn_classify.h"
#include "gn_config.h"
#include "gn_frame.h"
#include "gn_gyro_hs.h"
#include "gn_hs_stitch.h"
#include "gn_infer.h"
#include "gn_input.h"
#include "gn_msg.h"
#include "gn_ring.h"
#include "gn_vo2.h"
#include "gn_window.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the platform provides. */
typedef struct {
    uint64_t (*now_us)(void *ctx);                                    /* monotonic clock */
    uint32_t (*tx_free)(void *ctx);                                   /* bytes the UART can take now */
    uint32_t (*write)(void *ctx, const uint8_t *data, uint32_t len); /* queue bytes; returns bytes taken */
    void (*imu_start)(void *ctx, uint16_t rate_hz);                   /* live mode: start calling gn_node_imu_isr */
    void (*imu_stop)(void *ctx);
    void *ctx;
} gn_node_hal;

/* Board facts reported in INFO (from the generated board header on boards). */
typedef struct {
    const char *firmware;
    const char *board;
    uint16_t sample_rate_hz;
    uint16_t acc_range_g, gyr_range_dps, mag_range_ut;
} gn_node_board;

/* The heel-strike model as the node runs it (filled from <name>_model_config.h on boards). */
typedef struct {
    char name[GN_NAME_LEN];
    uint8_t sha256[32];
    uint32_t model_bytes, arena_bytes;
    gn_quant_params input;      /* channels, normalisation, input quantisation */
    gn_hs_stitch_params output; /* window, hop, output delay, output quantisation */
    gn_hs_picker_params picker; /* threshold, release, refractory */
    uint8_t placement;          /* gn_placement (gn_gyro_hs.h) the model was trained for */
} gn_hs_model;

/* The VO2 model as the node runs it (filled from vo2_model_config.h on boards): a CNN-LSTM that
 * turns one window of IMU samples into one VO2 value. */
typedef struct {
    char name[GN_NAME_LEN];        /* "vo2" */
    uint8_t sha256[32];
    uint32_t model_bytes, arena_bytes;
    gn_quant_params input;         /* channels, normalisation, input quantisation (as the heel-strike model) */
    uint16_t window, hop;          /* samples at the board rate; one inference per hop */
    float out_scale;               /* ml/kg/min = out_scale * (q - out_zero_point) */
    int32_t out_zero_point;
    float smooth_tau_s;            /* first-order smoothing time constant of the estimate, 0 = none */
} gn_vo2_model;

/* Per-model inference statistics, by gn_infer model index. */
typedef struct {
    gn_telemetry_model t; /* last, max and count since the last TELEMETRY */
    uint32_t sum_us;      /* for the mean */
} gn_node_model_stats;

/* Most events one model window can produce: two events are at least two samples apart, plus the
 * crest a restart flushes. */
#define GN_MAX_EVENTS_PER_WINDOW (GN_MAX_WINDOW / 2u + 2u)

typedef struct {
    /* platform */
    gn_node_hal hal;
    gn_infer infer;
    gn_node_board board;
    gn_hs_model hs;
    uint8_t has_hs;
    gn_vo2_model vo2m;
    uint8_t has_vo2;
    gn_class_model cls[2];      /* by GN_INFER_PHASE - 2, GN_INFER_ACTIVITY - 2 */
    uint8_t has_cls[2];
    /* protocol */
    gn_frame_decoder rx;
    uint16_t tx_seq;
    uint8_t mode;
    gn_msg_config config;
    /* pipeline */
    gn_ring ring;
    gn_scale scale;
    float rot[3][3];
    gn_calib_state calib;
    uint8_t calibrating;
    gn_window window;
    gn_hs_stitch stitch;
    gn_gyro_hs_state gyro;
    gn_cadence cadence;
    gn_window vo2_window;       /* the VO2 model's own window (its channels and normalisation) */
    gn_vo2 vo2;                 /* the estimate stage: ACSM and the VO2 model's outputs, smoothed */
    gn_classify cls_stage[2];   /* the classifiers' rows and windows */
    uint32_t vo2_start;         /* stream index of the VO2 window's first row (phase, see above) */
    uint32_t isr_index;         /* next sample index the ISR stamps (producer-owned in live mode) */
    uint32_t next_index;        /* replay: next sample index expected from the host */
    uint32_t expect_index;      /* next sample index the pipeline expects (a jump = gap) */
    uint32_t gyro_base;         /* stream index of the gyro detector's sample 0 */
    uint32_t samples_processed; /* since mode start */
    uint32_t last_estimate_index;
    uint64_t mode_start_us;     /* device time of sample 0 of this mode */
    int8_t in_buf[GN_MAX_WINDOW * GN_MAX_CHANNELS];
    int8_t out_buf[GN_MAX_WINDOW];
    gn_hs_event events[GN_MAX_EVENTS_PER_WINDOW];
    /* periodic output */
    uint64_t last_telemetry_us, last_estimate_us, busy_us, busy_since_us;
    gn_msg_telemetry telemetry; /* counters; the frame is built from it */
    gn_node_model_stats stats[GN_INFER_SLOTS];
    /* SAMPLES: the live batch going out */
    gn_msg_samples live_batch;
    /* message structs too big for the loop's stack, never needed at the same time */
    union {
        gn_msg_samples rx_samples; /* the replay batch coming in */
        gn_msg_info info;          /* INFO going out */
        gn_msg_phase phase;        /* PHASE going out */
        gn_msg_activity activity;  /* ACTIVITY going out */
    } scratch;
    /* scratch */
    uint8_t payload[GN_MAX_PAYLOAD];
    uint8_t wire[GN_FRAME_MAX_WIRE];
} gn_node;

/* Set up n. hs may be NULL (classical detector only); vo2 may be NULL (no VO2 model: ACSM only).
 * Returns 0, or a non-zero code when the board or a model description is invalid: 1 board,
 * 2 heel-strike model input, 3 its output/picker, 4 its window, 5 VO2 model input (channels,
 * normalisation, quantisation), 6 VO2 model window, hop, output scale or smoothing, 7 no room to
 * list the VO2 model (GN_MAX_MODELS). INFO and TELEMETRY list the heel-strike model, then the
 * VO2 model (named by vo2->name), each when present. */
int gn_node_init(gn_node *n, const gn_node_hal *hal, const gn_infer *infer, const gn_node_board *board,
                 const gn_hs_model *hs, const gn_vo2_model *vo2);

/* Add a classifier to an initialised node (before gn_node_start): slot GN_INFER_PHASE (m's codes
 * index the gait phases) or GN_INFER_ACTIVITY (the activities). Returns 0, or 8 (slot not a
 * classifier slot, or already taken), 9 (no room to list it: GN_MAX_MODELS), or 10 + the code of
 * gn_classify_check (an invalid description). INFO and TELEMETRY list it after the heel-strike and
 * VO2 models, phase before activity. */
int gn_node_add_classifier(gn_node *n, uint8_t slot, const gn_class_model *m);
/* Announce the node: sends INFO (as after a reset, so the host notices resets). */
void gn_node_start(gn_node *n);

/* Bytes received from the host (any split: frames may span calls). */
void gn_node_rx(gn_node *n, const uint8_t *data, uint32_t len);

/* Main-loop work: drain the ring through the pipeline, send events, estimates and telemetry.
 * Returns the number of samples processed. */
uint32_t gn_node_poll(gn_node *n);

/* Interrupt context, live mode: one raw sample from the IMU (counts, sensor frame). */
void gn_node_imu_isr(gn_node *n, const int16_t raw[GN_AXES]);

/* sizeof(gn_node), for hosts that allocate it outside C. */
uint32_t gn_node_size(void);

#ifdef __cplusplus
}
#endif

#endif /* GN_NODE_H */

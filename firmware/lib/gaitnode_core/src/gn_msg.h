/* gn_msg.h - the protocol's message types and their payloads (pack/unpack, little-endian).
 *
 * Every payload is packed byte by byte (no struct memcpy), so layout does not depend on the
 * compiler or the CPU. docs/protocol.md is the reference for each field; gaitnode/protocol/
 * (Python) implements the same layouts, and shared test vectors keep the two equal.
 * pack functions return the payload length, 0 when cap is too small or a count is out of range.
 * unpack functions return 0, or GN_NACK_BAD_LENGTH / GN_NACK_BAD_VALUE (the reason to NACK with;
 * CONFIG also GN_NACK_PHYSIOLOGY).
 */
#ifndef GN_MSG_H
#define GN_MSG_H

#include <stdint.h>

#include "gn_config.h"
#include "gn_sample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GN_MSG_HELLO = 0x01,       /* host -> device: send INFO (empty payload) */
    GN_MSG_INFO = 0x02,        /* device -> host: who am I (also sent unasked at boot) */
    GN_MSG_CONFIG = 0x03,      /* host -> device: subject and node settings */
    GN_MSG_MODE = 0x04,        /* host -> device: idle / live / replay */
    GN_MSG_SAMPLES = 0x05,     /* both ways: a batch of raw IMU samples */
    GN_MSG_HEEL_STRIKE = 0x06, /* device -> host */
    GN_MSG_ESTIMATE = 0x07,    /* device -> host: cadence, stride time, VO2, ... */
    GN_MSG_TELEMETRY = 0x08,   /* device -> host: periodic health */
    GN_MSG_LOG = 0x09,         /* device -> host: text */
    GN_MSG_ACK = 0x0A,         /* device -> host */
    GN_MSG_NACK = 0x0B,        /* device -> host */
    GN_MSG_CALIBRATE = 0x0C,   /* host -> device: start a static-pose calibration */
    GN_MSG_CALIBRATION = 0x0D, /* device -> host: its result */
    GN_MSG_PHASE = 0x0E,       /* device -> host: gait phase of the samples one phase inference labelled */
    GN_MSG_ACTIVITY = 0x0F     /* device -> host: activity class of one activity window */
} gn_msg_type;

/* 1 when t is one of the types above. */
int gn_msg_known(uint8_t t);

typedef enum {
    GN_NACK_NONE = 0,
    GN_NACK_CRC = 1,
    GN_NACK_COBS = 2,
    GN_NACK_TOO_SHORT = 3,
    GN_NACK_OVERSIZED = 4,
    GN_NACK_VERSION = 5,      /* frame's protocol version is not GN_PROTOCOL_VERSION */
    GN_NACK_UNKNOWN_TYPE = 6,
    GN_NACK_BAD_LENGTH = 7,   /* payload length wrong for the type */
    GN_NACK_BAD_VALUE = 8,    /* a field out of range (detail: the field's byte offset) */
    GN_NACK_WRONG_MODE = 9,   /* e.g. SAMPLES while not in replay mode */
    GN_NACK_OVERFLOW = 10,    /* replay batch larger than the free ring space (host ignored credits) */
    GN_NACK_SEQUENCE = 11,    /* replay sample index not the next expected (detail: expected index) */
    GN_NACK_BUSY = 12,        /* calibration running */
    GN_NACK_NOT_SENDABLE = 13, /* a device -> host type sent to the device */
    GN_NACK_PHYSIOLOGY = 14    /* CONFIG value valid on the wire but outside physiology (detail: byte offset) */
} gn_nack_reason;

typedef enum { GN_MODE_IDLE = 0, GN_MODE_LIVE = 1, GN_MODE_REPLAY = 2 } gn_mode;
/* placement codes: gn_placement (gn_gyro_hs.h): 0 shank, 1 foot */
typedef enum { GN_SIDE_LEFT = 0, GN_SIDE_RIGHT = 1 } gn_side;
typedef enum { GN_SEX_UNKNOWN = 0, GN_SEX_FEMALE = 1, GN_SEX_MALE = 2 } gn_sex;
typedef enum { GN_SOURCE_NN = 0, GN_SOURCE_CLASSICAL = 1 } gn_hs_source;

/* ---- INFO ---- */
#define GN_NAME_LEN 16 /* fixed-size, NUL-padded text fields */
typedef struct {
    char name[GN_NAME_LEN];
    uint8_t sha256[32];   /* of the model's .tflite bytes */
    uint32_t model_bytes;
    uint32_t arena_bytes; /* arena reserved for it */
    uint32_t arena_used;  /* arena the interpreter reports using (0 before first use) */
} gn_info_model;

typedef struct {
    uint8_t protocol;                /* GN_PROTOCOL_VERSION */
    char firmware[GN_NAME_LEN];      /* firmware version */
    char board[GN_NAME_LEN];         /* boards.yaml key */
    uint16_t sample_rate_hz;
    uint16_t acc_range_g, gyr_range_dps, mag_range_ut;
    uint16_t ring_capacity;          /* samples */
    uint8_t max_batch;               /* most samples in one SAMPLES frame */
    uint8_t mode, placement, side;
    uint8_t n_models;
    gn_info_model models[GN_MAX_MODELS];
} gn_msg_info;

/* ---- CONFIG ---- */
/* Wire ranges (BAD_VALUE outside, NaN included): age_years 0..130, height_m 0..3, mass_kg 0..500.
 * Physiology (PHYSIOLOGY outside, checked after every wire check): 0 = unknown, else the ranges
 * below; the VO2 estimators use height (ACSM speed) and mass (ml/min), so a typo such as a height
 * in cm or a mass in lb is refused instead of scaling every estimate. */
#define GN_PHYS_AGE_MIN_YEARS 5.0f
#define GN_PHYS_AGE_MAX_YEARS 120.0f
#define GN_PHYS_HEIGHT_MIN_M 0.5f
#define GN_PHYS_HEIGHT_MAX_M 2.5f
#define GN_PHYS_MASS_MIN_KG 20.0f
#define GN_PHYS_MASS_MAX_KG 300.0f
typedef struct {
    uint8_t sex, placement, side;
    float age_years, height_m, mass_kg;
    uint16_t telemetry_period_ms; /* 0: keep */
    uint16_t estimate_period_ms;  /* 0: keep */
} gn_msg_config;

/* ---- MODE ---- */
typedef struct {
    uint8_t mode;
} gn_msg_mode;

/* ---- SAMPLES ---- */
/* Payload: u32 first_index, u8 count, u8 reserved, then count x 9 x i16. */
#define GN_SAMPLES_HEADER 6u
#define GN_SAMPLE_BYTES (2u * GN_AXES)
#define GN_MAX_BATCH ((GN_MAX_PAYLOAD - GN_SAMPLES_HEADER) / GN_SAMPLE_BYTES)
typedef struct {
    uint32_t first_index;
    uint8_t count;
    int16_t raw[GN_MAX_BATCH][GN_AXES];
} gn_msg_samples;

/* ---- HEEL_STRIKE ---- */
typedef struct {
    uint64_t t_us;         /* contact time on the device clock */
    uint32_t sample_index; /* nearest sample (the stream's index) */
    float frac;            /* sub-sample offset, -0.5..0.5 */
    float confidence;      /* nn: crest probability; classical: 1 */
    uint8_t source;        /* gn_hs_source */
    uint8_t side;          /* gn_side of the node */
} gn_msg_heel_strike;

/* ---- PHASE ---- */
/* Codes: index into the gait phases (HS, ST, HO, SW); confidence: round(255 * p) of the winner. */
#define GN_PHASE_CODES 4u
#define GN_PHASE_MAX_COUNT 64u
typedef struct {
    uint32_t first_index; /* stream index of the first sample covered */
    uint8_t count;        /* samples covered, 1..GN_PHASE_MAX_COUNT */
    uint8_t code[GN_PHASE_MAX_COUNT];
    uint8_t confidence[GN_PHASE_MAX_COUNT];
} gn_msg_phase;

/* ---- ACTIVITY ---- */
/* Codes: index into the activities (walking, upstairs, downstairs, sitting, standing, laying, running). */
#define GN_ACTIVITY_CODES 7u
#define GN_ACTIVITY_MAX_CLASSES 8u
typedef struct {
    uint32_t sample_index; /* last sample of the window */
    uint8_t code;          /* the most probable class */
    uint8_t n;             /* classes of the model, 1..GN_ACTIVITY_MAX_CLASSES */
    uint8_t class_code[GN_ACTIVITY_MAX_CLASSES];
    uint8_t prob[GN_ACTIVITY_MAX_CLASSES]; /* round(255 * p) */
} gn_msg_activity;

/* ---- ESTIMATE ---- */
typedef enum {
    GN_EST_CADENCE = 0,     /* steps/min */
    GN_EST_STRIDE_TIME = 1, /* s */
    GN_EST_VO2_ML_KG_MIN = 2,
    GN_EST_VO2_ML_MIN = 3,
    GN_EST_HEART_RATE = 4   /* bpm */
} gn_estimate_kind;
typedef enum { GN_ESTIMATOR_HS_INTERVALS = 0, GN_ESTIMATOR_ACSM = 1, GN_ESTIMATOR_CNN_LSTM = 2 } gn_estimator;
typedef struct {
    uint8_t kind, estimator;
    uint32_t sample_index; /* last sample the estimate used */
    float value;
} gn_msg_estimate;

/* ---- TELEMETRY ---- */
typedef struct {
    uint32_t last_us, max_us, mean_us; /* inference time (since the last TELEMETRY: max and mean) */
    uint32_t count;                    /* inferences since the last TELEMETRY */
    uint32_t arena_used;
} gn_telemetry_model;

typedef struct {
    uint16_t loop_load_permille; /* share of the period the loop spent processing */
    uint16_t ring_high_water;    /* samples */
    uint16_t ring_capacity;
    uint8_t mode;
    uint8_t n_models;
    uint32_t samples_processed;  /* since mode start */
    uint32_t dropped_samples;    /* ring full (live) since boot */
    uint32_t rx_frames;          /* good frames received */
    uint32_t rx_crc, rx_cobs, rx_short, rx_oversized; /* frame errors */
    uint32_t rx_unknown_type, rx_bad_length, rx_bad_version, rx_rejected; /* message errors */
    uint32_t tx_dropped_frames;  /* frames not sent: UART queue full */
    uint32_t infer_errors;
    gn_telemetry_model models[GN_MAX_MODELS];
} gn_msg_telemetry;

/* ---- LOG ---- */
#define GN_LOG_MAX (GN_MAX_PAYLOAD - 1u)
typedef enum { GN_LOG_DEBUG = 0, GN_LOG_INFO = 1, GN_LOG_WARN = 2, GN_LOG_ERROR = 3 } gn_log_level;
typedef struct {
    uint8_t level;
    uint16_t len;
    char text[GN_LOG_MAX]; /* not NUL-terminated on the wire */
} gn_msg_log;

/* ---- ACK / NACK ---- */
typedef struct {
    uint16_t seq;        /* of the frame acknowledged */
    uint8_t type;        /* its type */
    uint16_t credits;    /* free ring slots now: samples the host may send (replay flow control) */
    uint32_t next_index; /* replay: the sample index the device expects next */
} gn_msg_ack;

typedef struct {
    uint16_t seq;    /* of the rejected frame (0 when its header was unreadable) */
    uint8_t type;    /* its type (0xFF when unreadable) */
    uint8_t reason;  /* gn_nack_reason */
    uint32_t detail; /* reason-specific (see gn_nack_reason) */
} gn_msg_nack;

/* ---- CALIBRATE / CALIBRATION ---- */
typedef struct {
    uint16_t n_samples; /* 0: the default */
} gn_msg_calibrate;

typedef struct {
    uint8_t status;     /* gn_calib_status */
    float gravity[3];   /* mean specific force seen, m/s^2, sensor frame */
    float rot[3][3];    /* the rotation now applied (identity when none) */
} gn_msg_calibration;

/* Payload sizes (bytes). INFO and TELEMETRY: fixed part + one block per model. */
#define GN_INFO_HEADER 48u
#define GN_INFO_MODEL 60u
#define GN_CONFIG_LEN 19u
#define GN_MODE_LEN 1u
#define GN_HEEL_STRIKE_LEN 22u
#define GN_ESTIMATE_LEN 10u
#define GN_TELEMETRY_HEADER 60u
#define GN_TELEMETRY_MODEL 20u
#define GN_ACK_LEN 9u
#define GN_NACK_LEN 8u
#define GN_CALIBRATE_LEN 2u
#define GN_CALIBRATION_LEN 49u
#define GN_PHASE_HEADER 5u    /* + 2 per sample */
#define GN_ACTIVITY_HEADER 6u /* + 2 per class */

/* Validate a payload of type t without unpacking it: the checks the unpack function makes (HELLO:
 * empty payload). Returns 0, GN_NACK_UNKNOWN_TYPE, GN_NACK_BAD_LENGTH, GN_NACK_BAD_VALUE or (CONFIG
 * only, once every field is valid on the wire) GN_NACK_PHYSIOLOGY, and sets *detail (may be NULL)
 * to the NACK detail: the type, the payload length, or the byte offset of the first bad field. The
 * unpack functions below return the same reason for the same bytes. */
int gn_msg_check(uint8_t t, const uint8_t *p, uint32_t len, uint32_t *detail);

uint32_t gn_msg_pack_info(const gn_msg_info *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_info(const uint8_t *p, uint32_t len, gn_msg_info *m);
uint32_t gn_msg_pack_config(const gn_msg_config *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_config(const uint8_t *p, uint32_t len, gn_msg_config *m);
uint32_t gn_msg_pack_mode(const gn_msg_mode *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_mode(const uint8_t *p, uint32_t len, gn_msg_mode *m);
uint32_t gn_msg_pack_samples(const gn_msg_samples *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_samples(const uint8_t *p, uint32_t len, gn_msg_samples *m);
uint32_t gn_msg_pack_heel_strike(const gn_msg_heel_strike *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_heel_strike(const uint8_t *p, uint32_t len, gn_msg_heel_strike *m);
uint32_t gn_msg_pack_estimate(const gn_msg_estimate *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_estimate(const uint8_t *p, uint32_t len, gn_msg_estimate *m);
uint32_t gn_msg_pack_telemetry(const gn_msg_telemetry *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_telemetry(const uint8_t *p, uint32_t len, gn_msg_telemetry *m);
uint32_t gn_msg_pack_log(const gn_msg_log *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_log(const uint8_t *p, uint32_t len, gn_msg_log *m);
uint32_t gn_msg_pack_ack(const gn_msg_ack *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_ack(const uint8_t *p, uint32_t len, gn_msg_ack *m);
uint32_t gn_msg_pack_nack(const gn_msg_nack *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_nack(const uint8_t *p, uint32_t len, gn_msg_nack *m);
uint32_t gn_msg_pack_calibrate(const gn_msg_calibrate *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_calibrate(const uint8_t *p, uint32_t len, gn_msg_calibrate *m);
uint32_t gn_msg_pack_calibration(const gn_msg_calibration *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_calibration(const uint8_t *p, uint32_t len, gn_msg_calibration *m);
uint32_t gn_msg_pack_phase(const gn_msg_phase *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_phase(const uint8_t *p, uint32_t len, gn_msg_phase *m);
uint32_t gn_msg_pack_activity(const gn_msg_activity *m, uint8_t *buf, uint32_t cap);
int gn_msg_unpack_activity(const uint8_t *p, uint32_t len, gn_msg_activity *m);

#ifdef __cplusplus
}
#endif

#endif /* GN_MSG_H */

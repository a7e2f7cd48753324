// main.cpp - the gaitnode sensor node on an Arduino-framework board.
//
// setup: serial at the board's baud, the heel-strike, VO2, phase and activity models (those the board carries) into
// TFLite-Micro, the IMU with the board's ranges, then the node (gn_node_init) and its INFO
// announcement (gn_node_start).
// loop:  received bytes -> gn_node_rx; gn_node_poll (ring -> pipeline -> frames); TX queue -> port.
// Everything board-specific comes from the generated gn_board_<env>.h (boards.yaml), included
// through gn_config.h by -DGN_BOARD_HEADER (platformio.ini).
#include <Arduino.h>

#include "gn_config.h"
#include "gn_infer_tflm.h"
#include "gn_node.h"
#include "hal_serial.h"
#include "imu_provider.h"
#include "models.h"

// The build's firmware id ("<version>+<8 hex of the sources' sha256>", gaitnode_build.json), which
// `gaitnode verify` compares with the build: written by scripts/pio_pre.py. A build without it
// reports the plain version.
#if defined(__has_include)
#if __has_include("gn_firmware_id.h")
#include "gn_firmware_id.h"
#endif
#endif
#ifdef GN_FIRMWARE_ID
#define GN_NODE_FIRMWARE GN_FIRMWARE_ID
#else
#define GN_NODE_FIRMWARE GN_FIRMWARE_VERSION
#endif

static gn_node g_node; /* ~14 KB: static, not on a stack (gaitnode boards check counts it) */
static gn_hs_model g_hs;
static gn_vo2_model g_vo2;
static gn_class_model g_phase, g_activity;
static gn_infer g_infer;

// Device clock: micros() extended to 64 bits (it wraps every 71.6 minutes). The node calls it
// from the loop only, so the wrap bookkeeping needs no lock.
static uint64_t clock_now_us(void *ctx) {
    (void)ctx;
    static uint32_t last;
    static uint64_t high;
    uint32_t now = (uint32_t)micros();
    if (now < last) high += (uint64_t)1 << 32;
    last = now;
    return high | now;
}

// Nothing can be reported over the protocol before the node exists: blink the LED instead.
[[noreturn]] static void halt(int code) {
#ifdef LED_BUILTIN
    pinMode(LED_BUILTIN, OUTPUT);
    for (;;) {
        for (int i = 0; i < code; ++i) {
            digitalWrite(LED_BUILTIN, HIGH);
            delay(150);
            digitalWrite(LED_BUILTIN, LOW);
            delay(150);
        }
        delay(1000);
    }
#else
    (void)code;
    for (;;) delay(1000);
#endif
}

void setup() {
    hal_serial_begin(GN_UART_BAUD);

    // The models: one TFLM refuses is left out and the node runs without it (no heel-strike model:
    // the classical detector drives cadence and ACSM; no VO2 model: ACSM only; no phase or activity
    // model: no PHASE / ACTIVITY frames). INFO lists the
    // models that run, which the host shows.
    (void)gn_infer_tflm_init(&g_infer);
    const gn_hs_model *hs = nullptr;
    const gn_vo2_model *vo2 = nullptr;
    if (gn_infer_tflm_ready(GN_INFER_HEEL_STRIKE) && gn_models_fill_heel_strike(&g_hs) == 0) hs = &g_hs;
    if (gn_infer_tflm_ready(GN_INFER_VO2) && gn_models_fill_vo2(&g_vo2) == 0) vo2 = &g_vo2;

    // A missing IMU leaves replay mode working (the host streams recorded samples).
    (void)imu_provider_begin(&g_node);

    const gn_node_hal hal = {clock_now_us, hal_serial_tx_free, hal_serial_write,
                             imu_provider_start, imu_provider_stop, nullptr};
    const gn_node_board board = {GN_NODE_FIRMWARE, GN_BOARD_NAME, GN_SAMPLE_RATE_HZ,
                                 GN_ACC_RANGE_G, GN_GYR_RANGE_DPS, GN_MAG_RANGE_UT};
    int rc = gn_node_init(&g_node, &hal, &g_infer, &board, hs, vo2);
    if (rc >= 5 && vo2 != nullptr) {  // the VO2 description was refused: run without it
        vo2 = nullptr;
        rc = gn_node_init(&g_node, &hal, &g_infer, &board, hs, vo2);
    }
    if (rc >= 2 && rc <= 4 && hs != nullptr) rc = gn_node_init(&g_node, &hal, &g_infer, &board, nullptr, vo2);
    if (rc != 0) halt(rc);
    // The classifiers: one refused (its description or TFLM) is left out; the others run.
    if (gn_infer_tflm_ready(GN_INFER_PHASE) && gn_models_fill_phase(&g_phase) == 0)
        (void)gn_node_add_classifier(&g_node, GN_INFER_PHASE, &g_phase);
    if (gn_infer_tflm_ready(GN_INFER_ACTIVITY) && gn_models_fill_activity(&g_activity) == 0)
        (void)gn_node_add_classifier(&g_node, GN_INFER_ACTIVITY, &g_activity);
    gn_node_start(&g_node);
}

void loop() {
    uint8_t buf[64];
    uint32_t n;
    while ((n = hal_serial_read(buf, sizeof buf)) > 0) gn_node_rx(&g_node, buf, n);
    gn_node_poll(&g_node);
    hal_serial_service();
}

/* gn_twin.h - the host platform of the twin: the node's HAL on a pseudo-terminal.
 *
 * The twin is the firmware's own core (gn_node and every stage) compiled for the host as a shared
 * library. This file is its platform layer, the counterpart of firmware/src/ on boards:
 * - UART: frames are written to a file descriptor (the pty master; the host tool opens the slave);
 * - clock: CLOCK_MONOTONIC (replay mode runs on the node's sample clock, faster than real time);
 * - inference: a callback into the tflite-micro Python package's interpreter (real TFLM kernels);
 * - IMU: live mode asks a callback to start or stop a producer that calls gn_node_imu_isr.
 * The Python side (gaitnode/twin/) owns the loop: it reads the pty, calls gn_node_rx and gn_node_poll.
 */
#ifndef GN_TWIN_H
#define GN_TWIN_H

#include <stdint.h>

#include "gn_node.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*gn_twin_infer_fn)(uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len);
typedef void (*gn_twin_imu_fn)(int start, uint16_t rate_hz);

typedef struct {
    int fd;                   /* where frames go (pty master) */
    gn_twin_infer_fn infer;   /* NULL: no model */
    gn_twin_imu_fn imu;       /* NULL: live mode has no producer */
    uint32_t arena_used[GN_INFER_SLOTS]; /* per model (gn_infer.h index), reported by the interpreter
                                            (set by the host side) */
    uint64_t bytes_written;
    uint32_t write_failures;  /* frames the pty did not take within the timeout */
} gn_twin;

/* Wire the HAL to t and initialise n (gn_node_init's return code). hs and vo2 may be NULL.
 * Classifiers are added afterwards with gn_node_add_classifier. */
int gn_twin_init(gn_twin *t, gn_node *n, int fd, gn_twin_infer_fn infer, gn_twin_imu_fn imu,
                 const gn_node_board *board, const gn_hs_model *hs, const gn_vo2_model *vo2);

/* sizeof of the structs the host side fills, to check its mirrors. */
uint32_t gn_twin_size(void);
uint32_t gn_twin_hs_model_size(void);
uint32_t gn_twin_vo2_model_size(void);
uint32_t gn_twin_class_model_size(void);
uint32_t gn_twin_board_size(void);

/* The node's clock now (us), for the host side's bookkeeping. */
uint64_t gn_twin_now_us(void);

#ifdef __cplusplus
}
#endif

#endif /* GN_TWIN_H */

/* gn_twin.c - the twin's HAL (see gn_twin.h). POSIX only. */
#define _POSIX_C_SOURCE 200809L
#include "gn_twin.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

/* A frame the pty cannot take within this time is dropped (counted by the node and here): the
 * reader is gone or stuck, and the node must not stall. */
#define GN_TWIN_WRITE_TIMEOUT_MS 2000

uint64_t gn_twin_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t hal_now_us(void *ctx)
{
    (void)ctx;
    return gn_twin_now_us();
}

static uint32_t hal_tx_free(void *ctx)
{
    (void)ctx;
    return 1u << 20; /* a pty blocks rather than overflows; hal_write waits with a timeout */
}

static uint32_t hal_write(void *ctx, const uint8_t *data, uint32_t len)
{
    gn_twin *t = (gn_twin *)ctx;
    uint32_t done = 0;
    while (done < len) {
        ssize_t w = write(t->fd, data + done, len - done);
        if (w > 0) {
            done += (uint32_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd p = {t->fd, POLLOUT, 0};
            if (poll(&p, 1, GN_TWIN_WRITE_TIMEOUT_MS) > 0) {
                continue;
            }
        }
        ++t->write_failures;
        break;
    }
    t->bytes_written += done;
    return done;
}

static void hal_imu_start(void *ctx, uint16_t rate_hz)
{
    gn_twin *t = (gn_twin *)ctx;
    if (t->imu != NULL) {
        t->imu(1, rate_hz);
    }
}

static void hal_imu_stop(void *ctx)
{
    gn_twin *t = (gn_twin *)ctx;
    if (t->imu != NULL) {
        t->imu(0, 0);
    }
}

static int infer_run(void *ctx, uint8_t model, const int8_t *in, uint32_t in_len, int8_t *out, uint32_t out_len)
{
    gn_twin *t = (gn_twin *)ctx;
    return t->infer != NULL ? t->infer(model, in, in_len, out, out_len) : -1;
}

static uint32_t infer_arena_used(void *ctx, uint8_t model)
{
    return model < GN_INFER_SLOTS ? ((gn_twin *)ctx)->arena_used[model] : 0u;
}

int gn_twin_init(gn_twin *t, gn_node *n, int fd, gn_twin_infer_fn infer, gn_twin_imu_fn imu,
                 const gn_node_board *board, const gn_hs_model *hs, const gn_vo2_model *vo2)
{
    uint32_t k;
    gn_node_hal hal;
    gn_infer inf;
    t->fd = fd;
    t->infer = infer;
    t->imu = imu;
    for (k = 0; k < GN_INFER_SLOTS; ++k) {
        t->arena_used[k] = 0;
    }
    t->bytes_written = 0;
    t->write_failures = 0;
    hal.now_us = hal_now_us;
    hal.tx_free = hal_tx_free;
    hal.write = hal_write;
    hal.imu_start = hal_imu_start;
    hal.imu_stop = hal_imu_stop;
    hal.ctx = t;
    inf.run = infer_run;
    inf.arena_used = infer_arena_used;
    inf.ctx = t;
    return gn_node_init(n, &hal, &inf, board, hs, vo2);
}

uint32_t gn_twin_size(void) { return (uint32_t)sizeof(gn_twin); }
uint32_t gn_twin_hs_model_size(void) { return (uint32_t)sizeof(gn_hs_model); }
uint32_t gn_twin_vo2_model_size(void) { return (uint32_t)sizeof(gn_vo2_model); }
uint32_t gn_twin_class_model_size(void) { return (uint32_t)sizeof(gn_class_model); }
uint32_t gn_twin_board_size(void) { return (uint32_t)sizeof(gn_node_board); }

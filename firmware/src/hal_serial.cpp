/* hal_serial.cpp - TX queue + the board's serial port (see hal_serial.h). */
#include "hal_serial.h"

#include <Arduino.h>

#include "gn_config.h" /* GN_TX_BUFFER, and through GN_BOARD_HEADER the GN_TRANSPORT_* facts */

#if defined(ARDUINO_NRF52_ADAFRUIT) && GN_TRANSPORT_UART
#define GN_SERIAL Serial1 /* Adafruit core: Serial is the nRF52840's own USB; the DK's VCOM is UART0 */
#else
#define GN_SERIAL Serial
#endif

/* How many bytes to hand the port per service call when it cannot say how many it would take
 * without blocking (Mbed's USB CDC and the Adafruit UART have no usable availableForWrite; their
 * write waits until the bytes are out). One chunk per call bounds the loop's stall to one USB
 * packet or 64 bytes of UART time (5.6 ms at 115200 baud). */
#define GN_SERIAL_CHUNK 64u

/* head and tail run freely; GN_TX_BUFFER is a power of two (boards.yaml rule), so the modulo
 * stays right when they wrap at 2^32. */
static uint8_t tx_queue[GN_TX_BUFFER];
static uint32_t tx_head; /* bytes ever queued */
static uint32_t tx_tail; /* bytes ever sent */

void hal_serial_begin(uint32_t baud) {
    GN_SERIAL.begin(baud);
    tx_head = tx_tail = 0;
}

uint32_t hal_serial_tx_free(void *ctx) {
    (void)ctx;
    return (uint32_t)GN_TX_BUFFER - (tx_head - tx_tail);
}

uint32_t hal_serial_write(void *ctx, const uint8_t *data, uint32_t len) {
    uint32_t room = hal_serial_tx_free(ctx);
    uint32_t n = len < room ? len : room;
    for (uint32_t i = 0; i < n; ++i) tx_queue[(tx_head + i) % GN_TX_BUFFER] = data[i];
    tx_head += n;
    return n;
}

uint32_t hal_serial_read(uint8_t *buf, uint32_t cap) {
    uint32_t n = 0;
    while (n < cap && GN_SERIAL.available() > 0) {
        int c = GN_SERIAL.read();
        if (c < 0) break;
        buf[n++] = (uint8_t)c;
    }
    return n;
}

static uint32_t port_room(void) {
#if defined(ARDUINO_ARCH_ESP32)
    int room = GN_SERIAL.availableForWrite();
    return room > 0 ? (uint32_t)room : 0u;
#else
    return GN_SERIAL_CHUNK;
#endif
}

void hal_serial_service(void) {
    while (tx_head != tx_tail) {
        uint32_t room = port_room();
        if (room == 0) return;
        uint32_t start = tx_tail % GN_TX_BUFFER;
        uint32_t n = tx_head - tx_tail;
        if (n > GN_TX_BUFFER - start) n = GN_TX_BUFFER - start; /* contiguous part */
        if (n > room) n = room;
        size_t sent = GN_SERIAL.write(tx_queue + start, (size_t)n);
        if (sent == 0) return; /* USB not connected: keep the bytes, the node drops frames when full */
        tx_tail += (uint32_t)sent;
#if !defined(ARDUINO_ARCH_ESP32)
        return; /* blocking port: one chunk per loop iteration */
#endif
    }
}

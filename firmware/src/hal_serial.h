/* hal_serial.h - the node's byte link to the host: a TX queue in front of the board's serial port.
 *
 * The node frames its messages and hands whole frames to hal_serial_write only when
 * hal_serial_tx_free says they fit (it drops and counts frames otherwise), so the queue never
 * blocks the pipeline. hal_serial_service moves queued bytes into the port as fast as the port
 * takes them. Everything here runs in the main loop's context (one thread, no locks).
 *
 * Ports: ESP32 / ESP32-S3: Serial = UART0 through the board's USB-UART bridge (the S3 env builds
 * with ARDUINO_USB_CDC_ON_BOOT=0); nRF52840 DK (Adafruit core): Serial1 = UART0 on P0.06/P0.08,
 * which the on-board J-Link bridges to USB; Nano 33 BLE (Mbed core): Serial = native USB CDC.
 */
#ifndef HAL_SERIAL_H
#define HAL_SERIAL_H

#include <stdint.h>

/* Open the port at `baud` (nominal on USB CDC) and empty the queue. */
void hal_serial_begin(uint32_t baud);

/* gn_node_hal.tx_free: bytes the queue can take now (ctx unused). */
uint32_t hal_serial_tx_free(void *ctx);

/* gn_node_hal.write: queue up to len bytes; returns how many were taken (ctx unused). */
uint32_t hal_serial_write(void *ctx, const uint8_t *data, uint32_t len);

/* Read up to cap received bytes into buf without waiting; returns how many. */
uint32_t hal_serial_read(uint8_t *buf, uint32_t cap);

/* Move queued bytes into the port (call every loop iteration). */
void hal_serial_service(void);

#endif /* HAL_SERIAL_H */

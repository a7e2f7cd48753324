/* imu_provider.h - the live sample source: a hardware timer at the board's sample rate, one IMU
 * read per tick, integer counts into the node through gn_node_imu_isr.
 *
 * Why not read in the timer interrupt: the bus drivers (Arduino SPI / Wire, and the SparkFun
 * ICM-20948 library on top) take mutexes and wait for DMA/interrupt completion, which is not
 * allowed in an ISR. So the timer ISR only wakes a high-priority reader:
 *   ESP32 / ESP32-S3: hardware timer 0 -> vTaskNotifyGiveFromISR -> FreeRTOS task (priority
 *                     configMAX_PRIORITIES - 1) on core 0, while loop() runs on core 1;
 *   nRF52840 DK (Adafruit core, FreeRTOS): NRF_TIMER3 compare IRQ -> the same task notification;
 *   Nano 33 BLE (Mbed OS): mbed::Ticker (us_ticker interrupt) -> EventQueue::call -> an
 *                     rtos::Thread at osPriorityRealtime dispatching the queue.
 * The reader reads one sample and calls gn_node_imu_isr (integer only: stamps the sample index,
 * pushes to the lock-free ring). If the reader falls behind by k ticks it pushes its sample
 * k + 1 times, so sample index / rate stays the device time of each sample (gn_sample.h).
 *
 * Counts: gn_sample.h wants 32768 counts = the board's range (GN_ACC_RANGE_G, ...). Where the
 * part's sensitivity at that range differs (LSM9DS1: 0.732 mg/LSB at +-16 g, not 16/32768 g),
 * the driver rescales with gn_imu_rescale (Q15 integer multiply, saturating).
 * Axes: the magnetometer is turned into the accelerometer/gyroscope frame by the driver.
 */
#ifndef IMU_PROVIDER_H
#define IMU_PROVIDER_H

#include <stdint.h>

#include "gn_node.h"

/* Configure the bus and the sensor with the board header's ranges; remember the node the samples
 * go to. Returns 0, or non-zero when the sensor does not answer (live mode then yields no
 * samples; replay mode still works). */
int imu_provider_begin(gn_node *node);

/* gn_node_hal.imu_start: start the timer at rate_hz (the node passes GN_SAMPLE_RATE_HZ). */
void imu_provider_start(void *ctx, uint16_t rate_hz);

/* gn_node_hal.imu_stop: stop the timer; no sample reaches the node after it returns. */
void imu_provider_stop(void *ctx);

/* What each IMU driver (imu_icm20948.cpp, imu_lsm9ds1.cpp; one is built per board) provides to the
 * sampler (imu_sampler.cpp). Both run in the reader task/thread, never in an interrupt. */

/* Bring up the bus and the sensor with the board's ranges; 0 when the sensor answered. */
int imu_sensor_begin(void);

/* Read one sample into raw[GN_AXES] (acc, gyr, mag; counts, 32768 = the board's range, all in the
 * accelerometer's frame). 0 on success; on a bus error raw is left as it was. */
int imu_sensor_read(int16_t raw[GN_AXES]);

/* round(v * q15 / 32768) saturated to int16: rescales counts by a factor q15 / 32768 (< 2). */
static inline int16_t gn_imu_rescale(int16_t v, int32_t q15) {
    int32_t p = (int32_t)v * q15;
    p = (p >= 0 ? p + 16384 : p - 16384) / 32768;
    if (p > 32767) p = 32767;
    if (p < -32768) p = -32768;
    return (int16_t)p;
}

/* Negate without overflow (-(-32768) saturates to 32767). */
static inline int16_t gn_imu_neg(int16_t v) { return v == INT16_MIN ? (int16_t)INT16_MAX : (int16_t)-v; }

#endif /* IMU_PROVIDER_H */

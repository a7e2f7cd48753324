/* imu_icm20948.cpp - TDK InvenSense ICM-20948 (+ its AK09916 magnetometer) over SPI or I2C, with
 * the SparkFun ICM-20948 Arduino library (it does the register banks and runs the AK09916 through
 * the chip's I2C master, which is what we need). Built for boards with imu.part: icm20948.
 *
 * Sensitivities (ICM-20948 datasheet DS-000189 tables 2-3; AK09916 datasheet):
 *   acc: 16384 / 8192 / 4096 / 2048 LSB/g at +-2 / 4 / 8 / 16 g   -> exactly 32768 counts = range
 *   gyr: 131 / 65.5 / 32.8 / 16.4 LSB/dps at +-250 / 500 / 1000 / 2000 dps -> rescaled (0.1 %)
 *   mag: 0.15 uT/LSB, fixed                                        -> rescaled to GN_MAG_RANGE_UT
 * Axes: the AK09916's x matches the accelerometer's, its y and z point the other way (datasheet
 * figure "orientation of axes of sensitivity"), so mag = (x, -y, -z) in the accelerometer frame.
 */
#include "gn_config.h"

#if GN_IMU_PART_ICM20948

#include <Arduino.h>

#include "ICM_20948.h"
#include "imu_provider.h"

#if GN_IMU_BUS_SPI
#include <SPI.h>
static ICM_20948_SPI g_icm;
#else
#include <Wire.h>
static ICM_20948_I2C g_icm;
static_assert(GN_IMU_I2C_ADDRESS == 0x68 || GN_IMU_I2C_ADDRESS == 0x69, "the ICM-20948 answers at 0x68 or 0x69 (AD0)");
#endif

namespace {
constexpr double kGyrLsbPerDps = GN_GYR_RANGE_DPS == 250    ? 131.0
                                 : GN_GYR_RANGE_DPS == 500  ? 65.5
                                 : GN_GYR_RANGE_DPS == 1000 ? 32.8
                                                            : 16.4;
constexpr double kMagUtPerLsb = 0.15;
/* Q15 factor from the part's counts to counts where 32768 = the board's range. */
constexpr int32_t q15(double units_per_lsb, double range) {
    return (int32_t)(32768.0 * 32768.0 * units_per_lsb / range + 0.5);
}
constexpr int32_t kGyrQ15 = q15(1.0 / kGyrLsbPerDps, GN_GYR_RANGE_DPS);
constexpr int32_t kMagQ15 = q15(kMagUtPerLsb, GN_MAG_RANGE_UT);
static_assert(GN_ACC_RANGE_G == 2 || GN_ACC_RANGE_G == 4 || GN_ACC_RANGE_G == 8 || GN_ACC_RANGE_G == 16,
              "ICM-20948 accelerometer ranges: 2, 4, 8, 16 g");
static_assert(GN_GYR_RANGE_DPS == 250 || GN_GYR_RANGE_DPS == 500 || GN_GYR_RANGE_DPS == 1000 ||
                  GN_GYR_RANGE_DPS == 2000,
              "ICM-20948 gyroscope ranges: 250, 500, 1000, 2000 dps");
static_assert(kMagQ15 > 0 && kMagQ15 < 65536 && kGyrQ15 < 65536, "rescale factor must be below 2");

uint8_t acc_fs(void) {
    return GN_ACC_RANGE_G == 2 ? gpm2 : GN_ACC_RANGE_G == 4 ? gpm4 : GN_ACC_RANGE_G == 8 ? gpm8 : gpm16;
}
uint8_t gyr_fs(void) {
    return GN_GYR_RANGE_DPS == 250    ? dps250
           : GN_GYR_RANGE_DPS == 500  ? dps500
           : GN_GYR_RANGE_DPS == 1000 ? dps1000
                                      : dps2000;
}
}  // namespace

int imu_sensor_begin(void) {
#if GN_IMU_BUS_SPI
#if defined(ARDUINO_ARCH_ESP32)
    SPI.begin(GN_IMU_SPI_SCK, GN_IMU_SPI_MISO, GN_IMU_SPI_MOSI, GN_IMU_SPI_CS);
#else
    SPI.begin();
#endif
    /* begin() checks WHO_AM_I, resets the chip and starts the AK09916 (continuous, 100 Hz). */
    if (g_icm.begin(GN_IMU_SPI_CS, SPI, GN_IMU_BUS_HZ) != ICM_20948_Stat_Ok) return 1;
#else
#if defined(ARDUINO_ARCH_ESP32)
    GN_IMU_I2C_PORT.begin(GN_IMU_I2C_SDA, GN_IMU_I2C_SCL, (uint32_t)GN_IMU_BUS_HZ);
#elif defined(ARDUINO_NRF52_ADAFRUIT)
    GN_IMU_I2C_PORT.setPins(GN_IMU_I2C_SDA, GN_IMU_I2C_SCL); /* the DK's header SDA/SCL, not the variant's */
    GN_IMU_I2C_PORT.begin();
    GN_IMU_I2C_PORT.setClock(GN_IMU_BUS_HZ);
#else
    GN_IMU_I2C_PORT.begin();
    GN_IMU_I2C_PORT.setClock(GN_IMU_BUS_HZ);
#endif
    if (g_icm.begin(GN_IMU_I2C_PORT, GN_IMU_I2C_ADDRESS == 0x69) != ICM_20948_Stat_Ok) return 1;
#endif
    const uint8_t ag = ICM_20948_Internal_Acc | ICM_20948_Internal_Gyr;
    ICM_20948_fss_t fss;
    fss.a = acc_fs();
    fss.g = gyr_fs();
    fss.reserved_0 = 0;
    if (g_icm.setFullScale(ag, fss) != ICM_20948_Stat_Ok) return 2;
    /* Anti-aliasing for 100 Hz sampling: ~50 Hz low-pass on both (3 dB bandwidths 50.4 / 51.2 Hz). */
    ICM_20948_dlpcfg_t dlp;
    dlp.a = acc_d50bw4_n68bw8;
    dlp.g = gyr_d51bw2_n73bw3;
    if (g_icm.setDLPFcfg(ag, dlp) != ICM_20948_Stat_Ok) return 3;
    if (g_icm.enableDLPF(ICM_20948_Internal_Acc, true) != ICM_20948_Stat_Ok) return 3;
    if (g_icm.enableDLPF(ICM_20948_Internal_Gyr, true) != ICM_20948_Stat_Ok) return 3;
    /* Output data rates just above 100 Hz (acc 1125 / 11 = 102.3 Hz, gyr 1100 / 11 = 100 Hz); the
     * timer, not the chip, sets when a sample is taken. */
    ICM_20948_smplrt_t rate;
    rate.a = 10;
    rate.g = 10;
    if (g_icm.setSampleRate(ag, rate) != ICM_20948_Stat_Ok) return 4;
    return 0;
}

int imu_sensor_read(int16_t raw[GN_AXES]) {
    g_icm.getAGMT(); /* one burst: acc, gyr, temperature and the AK09916 bytes the I2C master copied */
    if (g_icm.status != ICM_20948_Stat_Ok) return 1;
    const ICM_20948_AGMT_t &s = g_icm.agmt;
    raw[GN_ACC + 0] = s.acc.axes.x;
    raw[GN_ACC + 1] = s.acc.axes.y;
    raw[GN_ACC + 2] = s.acc.axes.z;
    raw[GN_GYR + 0] = gn_imu_rescale(s.gyr.axes.x, kGyrQ15);
    raw[GN_GYR + 1] = gn_imu_rescale(s.gyr.axes.y, kGyrQ15);
    raw[GN_GYR + 2] = gn_imu_rescale(s.gyr.axes.z, kGyrQ15);
    raw[GN_MAG + 0] = gn_imu_rescale(s.mag.axes.x, kMagQ15);
    raw[GN_MAG + 1] = gn_imu_rescale(gn_imu_neg(s.mag.axes.y), kMagQ15);
    raw[GN_MAG + 2] = gn_imu_rescale(gn_imu_neg(s.mag.axes.z), kMagQ15);
    return 0;
}

#endif /* GN_IMU_PART_ICM20948 */

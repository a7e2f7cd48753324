/* imu_lsm9ds1.cpp - ST LSM9DS1 (Nano 33 BLE's on-board IMU) as a small register driver on I2C.
 *
 * Why not the Arduino_LSM9DS1 library: it fixes the accelerometer at +-4 g, the magnetometer at
 * +-4 gauss and the rates at 119 / 20 Hz, and returns floats; we need +-16 g / +-2000 dps /
 * +-16 gauss and raw integer counts. The registers below are from the LSM9DS1 datasheet
 * (DocID025715 rev 3, section 7 and tables 3 and 45-47).
 *
 * Rates: the accelerometer/gyroscope run at 119 Hz and the magnetometer at 155 Hz (fast ODR),
 * the nearest rates at or above 100 Hz; the timer samples the latest output at GN_SAMPLE_RATE_HZ.
 * Sensitivities at the configured ranges and their rescale to 32768 counts = the board's range:
 *   acc  +-2/4/8/16 g:     0.061 / 0.122 / 0.244 / 0.732 mg/LSB
 *   gyr  +-245/500/2000 dps: 8.75 / 17.5 / 70 mdps/LSB
 *   mag  +-4/8/12/16 gauss: 0.14 / 0.29 / 0.43 / 0.58 mgauss/LSB (1 mgauss = 0.1 uT)
 * Axes: the magnetometer's x axis points opposite to the accelerometer's (datasheet figure 2,
 * pin connections), y and z agree, so mag = (-x, y, z) in the accelerometer frame. Not yet checked
 * on hardware: the HIL suite's static poses would show a wrong sign.
 */
#include "gn_config.h"

#if GN_IMU_PART_LSM9DS1

#include <Arduino.h>
#include <Wire.h>

#include "imu_provider.h"

namespace {
/* accelerometer + gyroscope (GN_IMU_I2C_ADDRESS) */
constexpr uint8_t kWhoAmI = 0x0F, kWhoAmIAg = 0x68;
constexpr uint8_t kCtrlReg1G = 0x10, kOutXG = 0x18, kCtrlReg6Xl = 0x20, kCtrlReg8 = 0x22, kOutXXl = 0x28;
/* magnetometer (GN_IMU_MAG_I2C_ADDRESS) */
constexpr uint8_t kWhoAmIM = 0x3D;
constexpr uint8_t kCtrlReg1M = 0x20, kCtrlReg2M = 0x21, kCtrlReg3M = 0x22, kCtrlReg4M = 0x23, kCtrlReg5M = 0x24,
                  kOutXM = 0x28;

static_assert(GN_ACC_RANGE_G == 2 || GN_ACC_RANGE_G == 4 || GN_ACC_RANGE_G == 8 || GN_ACC_RANGE_G == 16,
              "LSM9DS1 accelerometer ranges: 2, 4, 8, 16 g");
static_assert(GN_GYR_RANGE_DPS == 245 || GN_GYR_RANGE_DPS == 500 || GN_GYR_RANGE_DPS == 2000,
              "LSM9DS1 gyroscope ranges: 245, 500, 2000 dps");
static_assert(GN_MAG_RANGE_UT == 400 || GN_MAG_RANGE_UT == 800 || GN_MAG_RANGE_UT == 1200 || GN_MAG_RANGE_UT == 1600,
              "LSM9DS1 magnetometer ranges: 400, 800, 1200, 1600 uT (4, 8, 12, 16 gauss)");

/* FS_XL bits (CTRL_REG6_XL[4:3]): 00 2 g, 10 4 g, 11 8 g, 01 16 g; sensitivity in g/LSB. */
constexpr uint8_t kFsXl = GN_ACC_RANGE_G == 2 ? 0 : GN_ACC_RANGE_G == 4 ? 2 : GN_ACC_RANGE_G == 8 ? 3 : 1;
constexpr double kAccGPerLsb = GN_ACC_RANGE_G == 2   ? 0.061e-3
                               : GN_ACC_RANGE_G == 4 ? 0.122e-3
                               : GN_ACC_RANGE_G == 8 ? 0.244e-3
                                                     : 0.732e-3;
/* FS_G bits (CTRL_REG1_G[4:3]): 00 245 dps, 01 500 dps, 11 2000 dps. */
constexpr uint8_t kFsG = GN_GYR_RANGE_DPS == 245 ? 0 : GN_GYR_RANGE_DPS == 500 ? 1 : 3;
constexpr double kGyrDpsPerLsb = GN_GYR_RANGE_DPS == 245 ? 8.75e-3 : GN_GYR_RANGE_DPS == 500 ? 17.5e-3 : 70e-3;
/* FS bits (CTRL_REG2_M[6:5]): 00 4 G, 01 8 G, 10 12 G, 11 16 G. */
constexpr uint8_t kFsM = GN_MAG_RANGE_UT == 400 ? 0 : GN_MAG_RANGE_UT == 800 ? 1 : GN_MAG_RANGE_UT == 1200 ? 2 : 3;
constexpr double kMagUtPerLsb = GN_MAG_RANGE_UT == 400   ? 0.014
                                : GN_MAG_RANGE_UT == 800 ? 0.029
                                : GN_MAG_RANGE_UT == 1200 ? 0.043
                                                          : 0.058;

constexpr int32_t q15(double units_per_lsb, double range) {
    return (int32_t)(32768.0 * 32768.0 * units_per_lsb / range + 0.5);
}
constexpr int32_t kAccQ15 = q15(kAccGPerLsb, GN_ACC_RANGE_G);
constexpr int32_t kGyrQ15 = q15(kGyrDpsPerLsb, GN_GYR_RANGE_DPS);
constexpr int32_t kMagQ15 = q15(kMagUtPerLsb, GN_MAG_RANGE_UT);
static_assert(kAccQ15 < 65536 && kGyrQ15 < 65536 && kMagQ15 < 65536, "rescale factor must be below 2");

bool write_reg(uint8_t addr, uint8_t reg, uint8_t value) {
    GN_IMU_I2C_PORT.beginTransmission(addr);
    GN_IMU_I2C_PORT.write(reg);
    GN_IMU_I2C_PORT.write(value);
    return GN_IMU_I2C_PORT.endTransmission() == 0;
}

bool read_regs(uint8_t addr, uint8_t reg, uint8_t *out, uint8_t n) {
    GN_IMU_I2C_PORT.beginTransmission(addr);
    GN_IMU_I2C_PORT.write(reg); /* both parts auto-increment the address on I2C (IF_ADD_INC default) */
    if (GN_IMU_I2C_PORT.endTransmission(false) != 0) return false;
    if (GN_IMU_I2C_PORT.requestFrom(addr, n) != n) return false;
    for (uint8_t i = 0; i < n; ++i) out[i] = (uint8_t)GN_IMU_I2C_PORT.read();
    return true;
}

int16_t le16(const uint8_t *p) { return (int16_t)(uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8)); }
}  // namespace

int imu_sensor_begin(void) {
    GN_IMU_I2C_PORT.begin();
    GN_IMU_I2C_PORT.setClock(GN_IMU_BUS_HZ);
    uint8_t id = 0;
    if (!read_regs(GN_IMU_I2C_ADDRESS, kWhoAmI, &id, 1) || id != kWhoAmIAg) return 1;
    if (!read_regs(GN_IMU_MAG_I2C_ADDRESS, kWhoAmI, &id, 1) || id != kWhoAmIM) return 1;
    write_reg(GN_IMU_I2C_ADDRESS, kCtrlReg8, 0x05); /* SW_RESET, keep IF_ADD_INC */
    delay(10);
    bool ok = true;
    /* CTRL_REG8: BDU (a sample's bytes come from one output), IF_ADD_INC. */
    ok &= write_reg(GN_IMU_I2C_ADDRESS, kCtrlReg8, 0x44);
    /* CTRL_REG1_G: ODR 119 Hz (011), FS_G, BW_G 01 (31 Hz cut-off at 119 Hz). */
    ok &= write_reg(GN_IMU_I2C_ADDRESS, kCtrlReg1G, (uint8_t)(0x60 | (kFsG << 3) | 0x01));
    /* CTRL_REG6_XL: ODR 119 Hz (011), FS_XL, BW_SCAL_ODR = 1 with BW_XL 11 (50 Hz anti-aliasing). */
    ok &= write_reg(GN_IMU_I2C_ADDRESS, kCtrlReg6Xl, (uint8_t)(0x60 | (kFsXl << 3) | 0x04 | 0x03));
    /* CTRL_REG1_M: temperature compensation, X/Y ultra-high performance, FAST_ODR (155 Hz). */
    ok &= write_reg(GN_IMU_MAG_I2C_ADDRESS, kCtrlReg1M, 0xE2);
    ok &= write_reg(GN_IMU_MAG_I2C_ADDRESS, kCtrlReg2M, (uint8_t)(kFsM << 5));
    ok &= write_reg(GN_IMU_MAG_I2C_ADDRESS, kCtrlReg3M, 0x00); /* continuous conversion */
    ok &= write_reg(GN_IMU_MAG_I2C_ADDRESS, kCtrlReg4M, 0x0C); /* Z ultra-high performance */
    ok &= write_reg(GN_IMU_MAG_I2C_ADDRESS, kCtrlReg5M, 0x40); /* BDU */
    return ok ? 0 : 2;
}

int imu_sensor_read(int16_t raw[GN_AXES]) {
    uint8_t g[6], a[6], m[6];
    if (!read_regs(GN_IMU_I2C_ADDRESS, kOutXG, g, 6) || !read_regs(GN_IMU_I2C_ADDRESS, kOutXXl, a, 6) ||
        !read_regs(GN_IMU_MAG_I2C_ADDRESS, kOutXM, m, 6))
        return 1;
    for (int i = 0; i < 3; ++i) {
        raw[GN_ACC + i] = gn_imu_rescale(le16(a + 2 * i), kAccQ15);
        raw[GN_GYR + i] = gn_imu_rescale(le16(g + 2 * i), kGyrQ15);
    }
    raw[GN_MAG + 0] = gn_imu_rescale(gn_imu_neg(le16(m + 0)), kMagQ15);
    raw[GN_MAG + 1] = gn_imu_rescale(le16(m + 2), kMagQ15);
    raw[GN_MAG + 2] = gn_imu_rescale(le16(m + 4), kMagQ15);
    return 0;
}

#endif /* GN_IMU_PART_LSM9DS1 */

/* gn_sample.h - one raw 9-axis IMU sample as the ISR produces it (integers only). */
#ifndef GN_SAMPLE_H
#define GN_SAMPLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GN_AXES 9 /* acc x,y,z; gyr x,y,z; mag x,y,z */
enum { GN_ACC = 0, GN_GYR = 3, GN_MAG = 6 };

/* index: the sample counter (0 at the start of live or replay mode, +1 per sample at the board's
 *        sample rate; the device time of a sample is the mode's start time + index / rate).
 * raw:   sensor counts in the sensor frame, full scale = the board's range (+-g, +-dps, +-uT). */
typedef struct {
    uint32_t index;
    int16_t raw[GN_AXES];
} gn_raw_sample;

#ifdef __cplusplus
}
#endif

#endif /* GN_SAMPLE_H */

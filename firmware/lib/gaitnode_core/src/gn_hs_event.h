/* gn_hs_event.h - the heel-strike event both detectors of the gaitnode core report. */
#ifndef GN_HS_EVENT_H
#define GN_HS_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One heel strike.
 * index: the sample index (0-based running count of the samples pushed since init, every pushed
 *        sample counted, NaN ones included) nearest the event: the angular-rate minimum
 *        (gn_gyro_hs) or the probability crest's centroid (gn_hs_picker).
 * frac:  sub-sample offset from that sample, in [-0.5, 0.5] (gn_gyro_hs: parabolic interpolation
 *        through the minimum and its two neighbours, 0 when a neighbour is missing; gn_hs_picker:
 *        the centroid's remainder). The event time is t(index) + frac / rate_hz.
 * value: the signal at the event (deg/s at the minimum for gn_gyro_hs; the crest's maximum
 *        probability for gn_hs_picker). */
typedef struct {
    uint32_t index;
    float frac;
    float value;
} gn_hs_event;

/* Offset (samples, in [-0.5, 0.5]) of the vertex of the parabola through (-1, y0), (0, y1), (1, y2).
 * Returns 0 when the three points are collinear or not finite. */
static inline float gn_parabolic_offset(float y0, float y1, float y2)
{
    const float den = y0 - 2.0f * y1 + y2;
    float d;
    if (!(den > 1e-12f || den < -1e-12f)) {
        return 0.0f; /* flat or NaN */
    }
    d = 0.5f * (y0 - y2) / den;
    if (d > 0.5f) {
        return 0.5f;
    }
    if (d < -0.5f) {
        return -0.5f;
    }
    return (d >= -0.5f) ? d : 0.0f; /* NaN (infinite inputs) -> 0 */
}

#ifdef __cplusplus
}
#endif

#endif /* GN_HS_EVENT_H */

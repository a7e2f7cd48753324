/* gn_acsm.h - the ACSM walking equation (paper 000, eqs. 19-23): VO2 from stride time and height.
 *
 *   VO2 = RMR + HM + VM                               (19)  ml/kg/min
 *   RMR = 3.5                                         (20)  resting metabolic rate
 *   HM  = 0.1 * speed                                 (21)  horizontal movement, speed in m/min
 *   VM  = 1.8 * speed * grade                         (22)  vertical movement, grade as a fraction
 *   speed = k * height * Savg                         (23)  k = 0.415 male, 0.413 female
 *
 * Reading of eq. 23: k * height is the ACSM step length (about 41 % of body height), so Savg,
 * which the paper calls "the average stride per second", must count steps (one foot contact
 * each) for the product to be a speed. A node sees one leg: its heel strikes are one stride
 * apart, and each stride is two steps, so steps/s = 2 / stride time. With an unknown sex the
 * mean of the two constants (0.414) is used.
 *
 * Validity: the ACSM walking equation is meant for about 50-100 m/min; running speeds (where
 * ACSM has a separate equation) are outside it and this function does not switch equations.
 * Pure functions, no state.
 */
#ifndef GN_ACSM_H
#define GN_ACSM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GN_ACSM_RMR 3.5f       /* ml/kg/min, eq. 20: VO2 at rest (standing, speed 0) */
#define GN_ACSM_K_MALE 0.415f
#define GN_ACSM_K_FEMALE 0.413f
#define GN_ACSM_K_UNKNOWN 0.414f

/* Step length (m) = k * height_m, k by sex (gn_sex of gn_msg.h: 1 female, 2 male, anything else
 * unknown). 0 when height_m is not > 0 and finite. */
float gn_acsm_step_length_m(uint8_t sex, float height_m);

/* Walking speed (m/min) = step length * steps/s * 60 with steps/s = 2 / stride_time_s (one
 * leg's heel-strike interval). 0 when stride_time_s is not > 0 and finite (no stride: standing)
 * or the height is unusable. */
float gn_acsm_speed_m_min(uint8_t sex, float height_m, float stride_time_s);

/* VO2 (ml/kg/min) = 3.5 + 0.1 * v + 1.8 * v * grade_frac, v in m/min, grade_frac rise/run. */
float gn_acsm_walk_vo2(float speed_m_min, float grade_frac);

#ifdef __cplusplus
}
#endif

#endif /* GN_ACSM_H */

/* gn_acsm.c - the ACSM walking equation (see gn_acsm.h). */
#include "gn_acsm.h"

#include <math.h>

#include "gn_msg.h"

float gn_acsm_step_length_m(uint8_t sex, float height_m)
{
    const float k = sex == (uint8_t)GN_SEX_MALE     ? GN_ACSM_K_MALE
                    : sex == (uint8_t)GN_SEX_FEMALE ? GN_ACSM_K_FEMALE
                                                    : GN_ACSM_K_UNKNOWN;
    if (!(height_m > 0.0f) || !isfinite(height_m)) {
        return 0.0f;
    }
    return k * height_m;
}

float gn_acsm_speed_m_min(uint8_t sex, float height_m, float stride_time_s)
{
    if (!(stride_time_s > 0.0f) || !isfinite(stride_time_s)) {
        return 0.0f;
    }
    /* two steps per stride of the one leg the node sees */
    return gn_acsm_step_length_m(sex, height_m) * (2.0f / stride_time_s) * 60.0f;
}

float gn_acsm_walk_vo2(float speed_m_min, float grade_frac)
{
    return GN_ACSM_RMR + 0.1f * speed_m_min + 1.8f * speed_m_min * grade_frac;
}

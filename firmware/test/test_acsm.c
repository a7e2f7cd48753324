/* test_acsm.c - the ACSM walking equation (gn_acsm) against values worked out by hand.
 *
 * The same numbers are checked from Python through ctypes (gaitnode/ccore/test_acsm.py). */
#include <math.h>

#include "gn_acsm.h"
#include "gn_msg.h"
#include "gn_test.h"

static void test_step_length_is_k_times_height(void)
{
    GN_CHECK_NEAR(gn_acsm_step_length_m(GN_SEX_MALE, 1.75f), 0.72625, 1e-6);      /* 0.415 * 1.75 */
    GN_CHECK_NEAR(gn_acsm_step_length_m(GN_SEX_FEMALE, 1.62f), 0.66906, 1e-6);    /* 0.413 * 1.62 */
    GN_CHECK_NEAR(gn_acsm_step_length_m(GN_SEX_UNKNOWN, 1.70f), 0.7038, 1e-6);    /* 0.414 * 1.70 */
    GN_CHECK_NEAR(gn_acsm_step_length_m(7u, 1.70f), 0.7038, 1e-6);                /* no such code: unknown */
    GN_CHECK_EQ_INT(gn_acsm_step_length_m(GN_SEX_MALE, 0.0f) == 0.0f, 1);
    GN_CHECK_EQ_INT(gn_acsm_step_length_m(GN_SEX_MALE, NAN) == 0.0f, 1);
}

static void test_speed_counts_two_steps_per_stride(void)
{
    /* male 1.75 m, stride 1.1 s: 0.72625 m x 2 / 1.1 s x 60 = 79.2272727 m/min */
    GN_CHECK_NEAR(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, 1.1f), 79.2272727, 1e-4);
    /* female 1.62 m, stride 1.0 s: 0.66906 x 120 = 80.2872 m/min */
    GN_CHECK_NEAR(gn_acsm_speed_m_min(GN_SEX_FEMALE, 1.62f, 1.0f), 80.2872, 1e-4);
    /* unknown 1.70 m, stride 1.2 s: 0.7038 x 100 = 70.38 m/min */
    GN_CHECK_NEAR(gn_acsm_speed_m_min(GN_SEX_UNKNOWN, 1.70f, 1.2f), 70.38, 1e-4);
}

static void test_no_stride_is_standing(void)
{
    GN_CHECK_EQ_INT(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, 0.0f) == 0.0f, 1);
    GN_CHECK_EQ_INT(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, -1.0f) == 0.0f, 1);
    GN_CHECK_EQ_INT(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, NAN) == 0.0f, 1);
    GN_CHECK_EQ_INT(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, INFINITY) == 0.0f, 1);
    GN_CHECK_NEAR(gn_acsm_walk_vo2(0.0f, 0.0f), 3.5, 1e-7); /* eq. 20: rest */
}

static void test_walking_vo2(void)
{
    /* level: 3.5 + 0.1 x 79.2272727 = 11.4227273 ml/kg/min */
    GN_CHECK_NEAR(gn_acsm_walk_vo2(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, 1.1f), 0.0f), 11.4227273, 1e-4);
    /* 10 % grade: + 1.8 x 79.2272727 x 0.1 = 14.2609091 -> 25.6836364 */
    GN_CHECK_NEAR(gn_acsm_walk_vo2(gn_acsm_speed_m_min(GN_SEX_MALE, 1.75f, 1.1f), 0.1f), 25.6836364, 1e-4);
    /* the paper's Bruce stages (table 3): 2.575 km/h level, 4.345 km/h at 10 % */
    GN_CHECK_NEAR(gn_acsm_walk_vo2(2575.0f / 60.0f, 0.0f), 3.5 + 0.1 * 2575.0 / 60.0, 1e-4);       /* 7.7917 */
    GN_CHECK_NEAR(gn_acsm_walk_vo2(4345.0f / 60.0f, 0.1f), 3.5 + 0.28 * 4345.0 / 60.0, 1e-4);      /* 23.7767 */
    /* downhill lowers the vertical term */
    GN_CHECK_NEAR(gn_acsm_walk_vo2(80.0f, -0.05f), 3.5 + 8.0 - 7.2, 1e-5);
}

int main(void)
{
    GN_RUN(test_step_length_is_k_times_height);
    GN_RUN(test_speed_counts_two_steps_per_stride);
    GN_RUN(test_no_stride_is_standing);
    GN_RUN(test_walking_vo2);
    return gn_test_finish("acsm");
}

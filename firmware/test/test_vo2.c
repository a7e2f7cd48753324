/* test_vo2.c - the VO2 estimate stage (gn_vo2): which estimator has a value, and the smoothing. */
#include <math.h>
#include <stdint.h>

#include "gn_msg.h"
#include "gn_test.h"
#include "gn_vo2.h"

static gn_vo2 vo2;
static gn_cadence cad;

static void init_both(float acsm_tau, float model_tau)
{
    gn_vo2_params p;
    gn_cadence_params cp;
    gn_vo2_default_params(&p);
    p.acsm_tau_s = acsm_tau;
    p.model_tau_s = model_tau;
    p.model_out_scale = 0.25f;
    p.model_out_zero_point = -20;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 0);
    gn_cadence_default_params(&cp);
    GN_CHECK_EQ_INT(gn_cadence_init(&cad, &cp), 0);
}

/* exact discretisation, in double: y + (1 - exp(-dt / tau)) (x - y) */
static double step(double y, double x, double dt, double tau)
{
    return y + (1.0 - exp(-dt / tau)) * (x - y);
}

static void test_defaults_and_bad_parameters(void)
{
    gn_vo2_params p;
    gn_vo2_default_params(&p);
    GN_CHECK_NEAR(p.acsm_tau_s, 30.0, 0.0);
    GN_CHECK_NEAR(p.rate_hz, 100.0, 0.0);
    GN_CHECK_NEAR(p.grade_frac, 0.0, 0.0);
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 0);
    p.rate_hz = 0.0f;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 1);
    gn_vo2_default_params(&p);
    p.acsm_tau_s = -1.0f;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 2);
    gn_vo2_default_params(&p);
    p.model_tau_s = NAN;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 2);
    gn_vo2_default_params(&p);
    p.model_out_scale = 0.0f;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 3);
    gn_vo2_default_params(&p);
    p.grade_frac = 1.5f;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 4);
}

static void test_acsm_needs_a_height(void)
{
    gn_vo2_result r;
    init_both(30.0f, 0.0f);
    gn_vo2_estimate(&vo2, 500u, &cad, GN_SEX_MALE, 0.0f, &r);
    GN_CHECK_EQ_INT(r.has_acsm, 0);
    GN_CHECK_EQ_INT(r.has_model, 0); /* and no model output yet */
}

static void test_acsm_standing_walking_and_stopping_smoothed(void)
{
    const double walk = 3.5 + 0.1 * 0.415 * 1.75 * 120.0 / 1.1; /* male 1.75 m, stride 1.1 s: 11.4227 */
    const double a = 1.0 - exp(-5.0 / 30.0);
    gn_vo2_result r;
    uint32_t i;
    double y;
    init_both(30.0f, 0.0f);
    /* no heel strike yet: standing, and the first value is taken as is */
    gn_vo2_estimate(&vo2, 0u, &cad, GN_SEX_MALE, 1.75f, &r);
    GN_CHECK_EQ_INT(r.has_acsm, 1);
    GN_CHECK_NEAR(r.acsm_raw, 3.5, 1e-6);
    GN_CHECK_NEAR(r.acsm, 3.5, 1e-6);
    /* walking: heel strikes 110 samples (1.1 s) apart */
    for (i = 50u; i <= 490u; i += 110u) {
        gn_cadence_push(&cad, i, 0.0f);
    }
    gn_vo2_estimate(&vo2, 500u, &cad, GN_SEX_MALE, 1.75f, &r);
    GN_CHECK_NEAR(r.acsm_raw, walk, 1e-4);
    y = step(3.5, walk, 5.0, 30.0);
    GN_CHECK_NEAR(r.acsm, y, 1e-4);
    GN_CHECK_NEAR(r.acsm, 3.5 + a * (walk - 3.5), 1e-4);
    /* no heel strike for 5.1 s (> 2.5 s, the longest stride): standing again */
    gn_vo2_estimate(&vo2, 1000u, &cad, GN_SEX_MALE, 1.75f, &r);
    GN_CHECK_NEAR(r.acsm_raw, 3.5, 1e-6);
    y = step(y, 3.5, 5.0, 30.0);
    GN_CHECK_NEAR(r.acsm, y, 1e-4);
    /* a height that goes unknown drops the value; when it comes back, the smoother starts again */
    gn_vo2_estimate(&vo2, 1500u, &cad, GN_SEX_MALE, 0.0f, &r);
    GN_CHECK_EQ_INT(r.has_acsm, 0);
    gn_cadence_push(&cad, 1600u, 0.0f);
    gn_cadence_push(&cad, 1700u, 0.0f); /* stride 1.0 s */
    gn_vo2_estimate(&vo2, 1750u, &cad, GN_SEX_FEMALE, 1.62f, &r);
    GN_CHECK_NEAR(r.acsm, 3.5 + 0.1 * 0.413 * 1.62 * 120.0, 1e-4);
}

static void test_variable_estimate_period_and_grade(void)
{
    gn_vo2_params p;
    gn_vo2_result r;
    uint32_t i;
    double y;
    init_both(30.0f, 0.0f);
    gn_vo2_default_params(&p);
    p.grade_frac = 0.1f;
    GN_CHECK_EQ_INT(gn_vo2_init(&vo2, &p), 0);
    gn_vo2_estimate(&vo2, 0u, &cad, GN_SEX_MALE, 1.75f, &r);
    for (i = 10u; i <= 1000u; i += 110u) {
        gn_cadence_push(&cad, i, 0.0f);
    }
    /* 10 s, then 2 s since the previous estimate: dt comes from the indices */
    gn_vo2_estimate(&vo2, 1000u, &cad, GN_SEX_MALE, 1.75f, &r);
    GN_CHECK_NEAR(r.acsm_raw, 25.6836364, 1e-3); /* 10 % grade (test_acsm.c) */
    y = step(3.5, 25.6836364, 10.0, 30.0);
    GN_CHECK_NEAR(r.acsm, y, 1e-3);
    gn_vo2_estimate(&vo2, 1200u, &cad, GN_SEX_MALE, 1.75f, &r);
    y = step(y, 25.6836364, 2.0, 30.0);
    GN_CHECK_NEAR(r.acsm, y, 1e-3);
}

static void test_model_outputs_are_dequantised_averaged_and_held(void)
{
    gn_vo2_result r;
    double y;
    init_both(0.0f, 10.0f);
    gn_vo2_model_output(&vo2, 20);  /* 0.25 x (20 + 20) = 10 */
    gn_vo2_model_output(&vo2, 28);  /* 12 */
    gn_vo2_estimate(&vo2, 500u, &cad, GN_SEX_UNKNOWN, 0.0f, &r);
    GN_CHECK_EQ_INT(r.has_model, 1);
    GN_CHECK_NEAR(r.model_raw, 11.0, 1e-6); /* the period's mean */
    GN_CHECK_NEAR(r.model, 11.0, 1e-6);     /* first value as is */
    /* a period without an output holds the last mean */
    gn_vo2_estimate(&vo2, 1000u, &cad, GN_SEX_UNKNOWN, 0.0f, &r);
    GN_CHECK_EQ_INT(r.has_model, 1);
    GN_CHECK_NEAR(r.model, 11.0, 1e-6);
    gn_vo2_model_output(&vo2, 60); /* 20 */
    gn_vo2_estimate(&vo2, 1500u, &cad, GN_SEX_UNKNOWN, 0.0f, &r);
    y = step(11.0, 20.0, 5.0, 10.0);
    GN_CHECK_NEAR(r.model_raw, 20.0, 1e-6);
    GN_CHECK_NEAR(r.model, y, 1e-4);
    /* a mode change forgets everything */
    gn_vo2_reset(&vo2);
    gn_vo2_estimate(&vo2, 100u, &cad, GN_SEX_UNKNOWN, 0.0f, &r);
    GN_CHECK_EQ_INT(r.has_model, 0);
}

static void test_zero_tau_passes_the_input_through(void)
{
    gn_vo2_result r;
    uint32_t i;
    init_both(0.0f, 0.0f);
    gn_vo2_estimate(&vo2, 0u, &cad, GN_SEX_MALE, 1.75f, &r);
    for (i = 50u; i <= 490u; i += 110u) {
        gn_cadence_push(&cad, i, 0.0f);
    }
    gn_vo2_estimate(&vo2, 500u, &cad, GN_SEX_MALE, 1.75f, &r);
    GN_CHECK_NEAR(r.acsm, r.acsm_raw, 0.0);
    GN_CHECK_NEAR(r.acsm, 11.4227273, 1e-4);
}

static void test_state_size(void)
{
    GN_CHECK_EQ_INT(gn_vo2_size(), sizeof(gn_vo2));
}

int main(void)
{
    GN_RUN(test_defaults_and_bad_parameters);
    GN_RUN(test_acsm_needs_a_height);
    GN_RUN(test_acsm_standing_walking_and_stopping_smoothed);
    GN_RUN(test_variable_estimate_period_and_grade);
    GN_RUN(test_model_outputs_are_dequantised_averaged_and_held);
    GN_RUN(test_zero_tau_passes_the_input_through);
    GN_RUN(test_state_size);
    return gn_test_finish("vo2");
}

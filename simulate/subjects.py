"""Simulated subjects: anthropometry, fitness and gait/physiology parameters.

Every parameter the simulator uses per person lives in SubjectParams; sample_subject()
draws them from population ranges (equations, ranges and sources in docs/physiology.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import SEXES, Subject

AGE_RANGE = (18.0, 75.0)  # years, adults
# Stature (m) by sex, mean and SD: adult populations of European descent (NCD-RisC 2016, rounded).
STATURE_M = {"male": (1.76, 0.07), "female": (1.63, 0.065)}
BMI_MEAN, BMI_SD, BMI_RANGE = 25.0, 3.5, (18.5, 35.0)  # kg/m^2 (adult BMI distribution, WHO classes)
# Segment lengths as fractions of stature (Winter 2009, Fig. 4.1, after Drillis & Contini 1966).
LEG_FRAC = 0.530  # greater trochanter to floor
SHANK_FRAC = 0.246  # knee (0.285 H) to ankle (0.039 H) joint centre
FOOT_FRAC = 0.152
# Treadmill VO2max norms (ml/kg/min) by decade, decade centres 25..75 (FRIEND registry,
# Kaminsky et al. 2015, approximate 50th percentiles).
_NORM_AGE = np.array([25.0, 35.0, 45.0, 55.0, 65.0, 75.0])
_VO2MAX_NORM = {
    "male": np.array([48.0, 42.4, 37.8, 32.6, 28.2, 24.4]),
    "female": np.array([37.6, 30.9, 27.9, 23.7, 20.7, 18.3]),
}
VO2MAX_CV = 0.18  # between-person spread around the age/sex norm
VO2MAX_RANGE = (15.0, 80.0)  # ml/kg/min
HR_REST_RANGE = (50.0, 80.0)  # bpm
HR_MAX_SD = 7.0  # bpm, scatter around Tanaka et al. 2001 (their SEE is about 7 bpm)
ECONOMY_SIGMA = 0.08  # lognormal sigma: about +-8 % (1 SD) running/walking economy
WALK_RATIO_PER_M = 0.0037  # walk ratio per metre of stature, m/(steps/min) (Sekiya & Nagasaki 1998)
WALK_RATIO_CV = 0.10
WALK_RUN_RANGE = (1.9, 2.2)  # m/s, preferred walk-to-run transition (Hreljac 1993)
STRIDE_CV_RANGE = (0.015, 0.035)  # stride-time CV (Hausdorff 2005)
TAU_ON_RANGE = (20.0, 45.0)  # s, phase-II VO2 on-kinetics (Poole & Jones 2012)
THRESHOLD_FRAC_RANGE = (0.50, 0.75)  # gas-exchange threshold as a fraction of VO2max
TAU_HR_RANGE = (30.0, 60.0)  # s


@dataclass(frozen=True)
class SubjectParams:
    """One simulated person. Units are in the field names; see docs/physiology.md.

    The fields after ``tau_hr_s`` were added with defaults (population means), so older code
    that builds SubjectParams by hand keeps working.
    """

    id: str
    sex: str  # "male" | "female"
    age: float  # years
    height_m: float
    mass_kg: float
    leg_length_m: float  # greater trochanter to floor
    shank_length_m: float  # knee to ankle joint centre
    foot_length_m: float
    vo2max_ml_kg_min: float
    hr_rest: float  # bpm
    hr_max: float  # bpm
    economy: float  # multiplies the ACSM net (above-rest) VO2; 1.0 = average
    walk_ratio: float  # step length (m) / cadence (steps/min) when walking
    walk_run_speed_ms: float  # preferred walk-to-run transition speed
    stride_cv: float  # stride-time coefficient of variation
    tau_on_s: float  # VO2 on-kinetics time constant
    tau_off_s: float  # VO2 off-kinetics time constant
    threshold_frac: float  # fraction of VO2max above which the slow component appears
    tau_hr_s: float  # heart-rate response time constant
    slow_frac: float = 0.15  # slow-component amplitude as a fraction of the excess above threshold
    tau_slow_s: float = 200.0  # s, slow-component time constant
    hr_drift_bpm_min: float = 0.15  # cardiovascular drift rate above moderate intensity, bpm/min
    breath_rest_hz: float = 0.33  # breathing frequency at rest, Hz
    breath_cv: float = 0.10  # breath-by-breath VO2 noise, coefficient of variation

    def to_subject(self) -> Subject:
        """The part that goes into session metadata."""
        return Subject(id=self.id, sex=self.sex, age=round(self.age, 1),
                       height_m=round(self.height_m, 3), mass_kg=round(self.mass_kg, 1))

    @property
    def bmi(self) -> float:
        """Body-mass index, kg/m^2."""
        return self.mass_kg / self.height_m ** 2

    def to_dict(self) -> dict:
        """Plain JSON-serialisable dict (for cohort manifests)."""
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in dataclasses.asdict(self).items()}


def vo2max_norm_ml_kg_min(age: float, sex: str) -> float:
    """Median treadmill VO2max (ml/kg/min) for an age (years) and sex, FRIEND registry norms."""
    return float(np.interp(age, _NORM_AGE, _VO2MAX_NORM[sex]))


def hr_max_tanaka(age: float) -> float:
    """Age-predicted maximal heart rate (bpm), Tanaka, Monahan & Seals 2001: 208 - 0.7 * age."""
    return 208.0 - 0.7 * age


def _normal_clipped(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float) -> float:
    return float(np.clip(rng.normal(mean, sd), lo, hi))


def sample_subject(rng: np.random.Generator, id: str, sex: str | None = None) -> SubjectParams:
    """Draw one adult subject from population ranges (docs/physiology.md, "Subjects").

    rng: the subject's own random stream (the same stream gives the same subject, bit for bit).
    id: subject id stored in session metadata. sex: "male", "female" or None (drawn 50/50).
    Lengths in m, mass in kg, VO2max in ml/kg/min, heart rates in bpm, times in s.
    The number of draws does not depend on the values drawn, so streams stay aligned.
    """
    drawn_sex = SEXES[int(rng.integers(2))]  # always drawn, so a given sex keeps the stream aligned
    sex = drawn_sex if sex is None else sex
    if sex not in SEXES:
        raise GaitnodeError(f"subject sex {sex!r} is not one of {', '.join(SEXES)}")
    age = float(rng.uniform(*AGE_RANGE))
    h_mean, h_sd = STATURE_M[sex]
    height = _normal_clipped(rng, h_mean, h_sd, h_mean - 3 * h_sd, h_mean + 3 * h_sd)
    bmi = _normal_clipped(rng, BMI_MEAN, BMI_SD, *BMI_RANGE)
    mass = bmi * height ** 2
    # VO2max per kg falls with adiposity: -2 %/(kg/m^2) of BMI above 25 (a moderate, documented choice).
    norm = vo2max_norm_ml_kg_min(age, sex) * float(np.exp(-0.02 * (bmi - BMI_MEAN)))
    vo2max = _normal_clipped(rng, norm, VO2MAX_CV * norm, *VO2MAX_RANGE)
    # Fitness relative to the age/sex norm drives the parameters that train with fitness.
    fit_z = float(np.clip((vo2max / norm - 1.0) / VO2MAX_CV, -2.5, 2.5))
    hr_max = _normal_clipped(rng, hr_max_tanaka(age), HR_MAX_SD, 150.0, 215.0)
    hr_rest = _normal_clipped(rng, 66.0 - 4.0 * fit_z, 6.0, *HR_REST_RANGE)
    economy = float(np.exp(rng.normal(0.0, ECONOMY_SIGMA)))
    walk_ratio = WALK_RATIO_PER_M * height * _normal_clipped(rng, 1.0, WALK_RATIO_CV, 0.75, 1.25)
    walk_run = float(rng.uniform(*WALK_RUN_RANGE))
    # Stride variability rises slowly with age (Hausdorff 2005); 0.02 % per year above 18.
    stride_cv = _normal_clipped(rng, 0.020 + 0.0002 * (age - AGE_RANGE[0]), 0.004, *STRIDE_CV_RANGE)
    # Fitter = faster kinetics and a higher threshold (Poole & Jones 2012).
    tau_on = _normal_clipped(rng, 32.0 - 5.0 * fit_z + 0.1 * (age - 40.0), 4.0, *TAU_ON_RANGE)
    tau_off = tau_on * float(rng.uniform(1.05, 1.25))
    threshold = _normal_clipped(rng, 0.62 + 0.04 * fit_z, 0.04, *THRESHOLD_FRAC_RANGE)
    tau_hr = float(rng.uniform(*TAU_HR_RANGE))
    slow_frac = float(rng.uniform(0.10, 0.20))
    tau_slow = float(rng.uniform(150.0, 300.0))
    drift = float(rng.uniform(0.10, 0.20))
    breath_rest = float(rng.uniform(0.30, 0.40))
    breath_cv = float(rng.uniform(0.08, 0.12))
    return SubjectParams(
        id=id, sex=sex, age=age, height_m=height, mass_kg=mass,
        leg_length_m=LEG_FRAC * height, shank_length_m=SHANK_FRAC * height, foot_length_m=FOOT_FRAC * height,
        vo2max_ml_kg_min=vo2max, hr_rest=hr_rest, hr_max=hr_max, economy=economy, walk_ratio=walk_ratio,
        walk_run_speed_ms=walk_run, stride_cv=stride_cv, tau_on_s=tau_on, tau_off_s=tau_off,
        threshold_frac=threshold, tau_hr_s=tau_hr, slow_frac=slow_frac, tau_slow_s=tau_slow,
        hr_drift_bpm_min=drift, breath_rest_hz=breath_rest, breath_cv=breath_cv,
    )

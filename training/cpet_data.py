"""Real cardiopulmonary exercise tests (CPET) from the `pyoxynet` package, as `Vo2Sequence`s.

Source: pyoxynet 0.1.12 (PyPI, MIT licence, Andrea Zignoli, Oxynet project, University of Trento;
installed with --no-deps, see scripts/requirements-nodeps.txt) ships `pyoxynet/data_test/` with
88 `ramp_real_test_<k>.csv` (incremental ramp tests) and 50 `resting_real_test_<k>.csv` (tests with a
resting phase first; values smoothed by the package's preprocessing). Columns: `,time,VO2_I,VCO2_I,
VE_I,HR_I,RF_I,PetO2_I,PetCO2_I,VEVO2_I,VEVCO2_I,age,height,weight,domain,gender,age_group,
fitness_group` at 1 Hz; VO2 in ml/min, HR in bpm, height in m, weight in kg, gender -1 male / 1 female
(pyoxynet's own `draw_real_test` reads it so). Only what a wearable has is used: time, HR, age,
height, weight, gender; VO2 is the reference. VCO2, VE, RF, PetO2, PetCO2 and the domain labels are
never read into a sequence.

The files are located with `importlib.util.find_spec("pyoxynet")` (the package itself is not imported:
its __init__ pulls in plotting and model code). No subject ids are given: each test is a subject,
except that tests whose anthropometrics nearly agree (same gender, age within 1 y, height within
1 cm, weight within 3 kg; joined transitively) are put in one group, so that a subject tested twice
can never be in training and test at once.

Which tests are used (each rule is applied to every file; `CpetDataset.excluded_` names the rule):
* HR outside 25-250 bpm or NaN is masked as a gap (counted per test in `hr_masked_`);
* a test with more than 20 % of its seconds masked is left out (no usable heart rate: several files
  hold HR 0 throughout);
* a test whose HR does not follow its VO2 (Pearson r < 0.5 over the test; in an exercise test both
  rise with the load) is left out: its HR trace is an artefact (e.g. 52-66 bpm up to a VO2 of
  2.7 l/min, or HR falling from 162 to 101 bpm as VO2 rises).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.training.vo2_hr_data import Vo2Sequence, mask_hr

PROTOCOLS = ("ramp", "resting")
REQUIRED_COLUMNS = ("time", "VO2_I", "HR_I", "age", "height", "weight", "gender")
GENDER = {-1: "male", 1: "female"}
MAX_MASKED_FRACTION = 0.20
MIN_HR_VO2_CORRELATION = 0.5
_FILE_RE = re.compile(r"^(ramp|resting)_real_test_(\d+)\.csv$")


def pyoxynet_data_dir() -> Path:
    """The installed pyoxynet package's data_test folder (GaitnodeError when pyoxynet is not installed)."""
    spec = importlib.util.find_spec("pyoxynet")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        d = Path(loc) / "data_test"
        if d.is_dir():
            return d
    raise GaitnodeError("the real CPET data (pyoxynet 0.1.12's data_test folder) is not installed; run "
                        "`.venv/bin/pip install --no-deps pyoxynet==0.1.12` (scripts/requirements-nodeps.txt)")


def cpet_files(data_dir, protocols=PROTOCOLS) -> list[Path]:
    """The CPET files of `protocols` in `data_dir`, ordered by protocol then number."""
    d = Path(data_dir)
    if not d.is_dir():
        raise GaitnodeError(f"{d}: no such directory (expected pyoxynet's data_test folder)")
    bad = [p for p in protocols if p not in PROTOCOLS]
    if bad or not protocols:
        raise GaitnodeError(f"CPET protocols {list(protocols)}: each must be one of {', '.join(PROTOCOLS)}")
    found = []
    for f in d.iterdir():
        m = _FILE_RE.match(f.name)
        if m and m.group(1) in protocols:
            found.append((PROTOCOLS.index(m.group(1)), int(m.group(2)), f))
    if not found:
        raise GaitnodeError(f"{d}: holds no {' or '.join(f'{p}_real_test_<k>.csv' for p in protocols)} files")
    return [f for _, _, f in sorted(found)]


def cpet_test_id(path) -> str:
    """"ramp_12" for .../ramp_real_test_12.csv."""
    m = _FILE_RE.match(Path(path).name)
    return f"{m.group(1)}_{m.group(2)}" if m else Path(path).stem


def read_cpet_csv(path) -> Vo2Sequence:
    """One CPET file as a 1 Hz `Vo2Sequence` (HR masked outside physiology; group = the test id).

    Raises InputFileError (a GaitnodeError) for a missing or unreadable file, missing columns,
    non-numeric values, times that do not increase, missing VO2, or anthropometrics that change within
    the file."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such CPET file")
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: not a readable CSV ({type(e).__name__}: {' '.join(str(e).split())})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputFileError(f"{path}: missing column(s) {', '.join(missing)}; a pyoxynet CPET file has "
                             f"{', '.join(REQUIRED_COLUMNS)} (and more)")
    if len(df) < 2:
        raise InputFileError(f"{path}: {len(df)} rows; a test needs at least 2 seconds")
    cols = {}
    for c in REQUIRED_COLUMNS:
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
        if c != "HR_I" and not np.isfinite(v).all():
            i = int(np.argmax(~np.isfinite(v)))
            raise InputFileError(f"{path}: column {c}, data row {i + 1}: {df[c].iloc[i]!r} is not a finite number")
        cols[c] = v
    t = cols["time"]
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        raise InputFileError(f"{path}: time does not increase at data row {i + 1} ({t[i - 1]:g} then {t[i]:g} s)")
    for c in ("age", "height", "weight", "gender"):
        if np.ptp(cols[c]) > 0:
            raise InputFileError(f"{path}: column {c} changes within the test ({np.min(cols[c]):g}-{np.max(cols[c]):g})")
    gender = int(round(cols["gender"][0]))
    if gender not in GENDER:
        raise InputFileError(f"{path}: gender {cols['gender'][0]:g} is not -1 (male) or 1 (female)")
    # 1 Hz grid from the first sample (resting tests start at negative times: the rest before the load).
    grid = np.arange(0.0, t[-1] - t[0] + 1e-9, 1.0)
    hr_raw = np.interp(grid, t - t[0], cols["HR_I"]) if np.isfinite(cols["HR_I"]).all() else \
        _interp_with_nan(grid, t - t[0], cols["HR_I"])
    hr, n_masked = mask_hr(hr_raw)
    tid = cpet_test_id(path)
    return Vo2Sequence(name=tid, group=tid, t_s=grid, hr_bpm=hr, vo2_ml_min=np.interp(grid, t - t[0], cols["VO2_I"]),
                       age=float(cols["age"][0]), height_m=float(cols["height"][0]), mass_kg=float(cols["weight"][0]),
                       sex=GENDER[gender], synthetic=False, hr_masked=n_masked,
                       extra={"protocol": tid.split("_")[0], "path": str(path), "t0_s": float(t[0])})


def _interp_with_nan(grid, t, v):
    """Linear interpolation that keeps NaN where a neighbouring sample is NaN."""
    bad = ~np.isfinite(v)
    out = np.interp(grid, t, np.where(bad, 0.0, v))
    near_bad = np.interp(grid, t, bad.astype(float)) > 0
    out[near_bad] = np.nan
    return out


def unusable_reason(seq: Vo2Sequence) -> str | None:
    """Why a test is left out (see the module docstring), or None when it is used."""
    n = len(seq)
    if seq.hr_masked > MAX_MASKED_FRACTION * n:
        return (f"heart rate missing or outside physiology in {seq.hr_masked} of {n} s "
                f"(more than {MAX_MASKED_FRACTION:.0%})")
    ok = np.isfinite(seq.hr_bpm)
    hr, vo2 = seq.hr_bpm[ok], seq.vo2_ml_min[ok]
    r = float(np.corrcoef(hr, vo2)[0, 1]) if np.std(hr) > 0 and np.std(vo2) > 0 else 0.0
    if r < MIN_HR_VO2_CORRELATION:
        return (f"heart rate does not follow VO2 (r = {r:.2f} < {MIN_HR_VO2_CORRELATION}; HR "
                f"{np.min(hr):.0f}-{np.max(hr):.0f} bpm): an HR recording artefact")
    return None


def subject_groups(tests: list[Vo2Sequence]) -> dict[str, str]:
    """Test id -> group id: tests whose anthropometrics nearly agree (module docstring) share a group,
    named after its first test."""
    parent = {s.name: s.name for s in tests}

    def root(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, a in enumerate(tests):
        for b in tests[i + 1:]:
            if (a.sex == b.sex and abs(a.age - b.age) <= 1.0 and abs(a.height_m - b.height_m) <= 0.0105
                    and abs(a.mass_kg - b.mass_kg) <= 3.0):
                ra, rb = root(a.name), root(b.name)
                if ra != rb:
                    parent[rb] = ra
    order = {s.name: i for i, s in enumerate(tests)}
    members: dict[str, list[str]] = {}
    for s in tests:
        members.setdefault(root(s.name), []).append(s.name)
    out = {}
    for names in members.values():
        first = min(names, key=order.get)
        for n in names:
            out[n] = first
    return out


class CpetDataset:
    """The usable real CPET tests of pyoxynet (see the module docstring for the rules).

    Parameters
    ----------
    protocols : which tests: ("ramp", "resting") by default.
    limit : use only the first `limit` usable tests (small runs and tests), None for all.

    Results (after `load`)
    ----------------------
    tests_ : list[Vo2Sequence], usable tests in file order; seq.group is the subject group.
    excluded_ : {test id: reason} for the tests left out.
    hr_masked_ : {test id: seconds of HR masked as a gap} for the usable tests with any.
    groups_ : {group id: [test ids]} (one entry per presumed subject).
    data_dir_ : the folder read.
    """

    def __init__(self, protocols=PROTOCOLS, limit: int | None = None):
        self.protocols = protocols
        self.limit = limit

    def load(self, data_dir=None) -> "CpetDataset":
        """Read every test file of `data_dir` (default: the installed pyoxynet's). Returns self."""
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 1):
            raise GaitnodeError(f"limit must be a positive number of tests, got {self.limit!r}")
        d = pyoxynet_data_dir() if data_dir is None else Path(data_dir)
        tests, excluded = [], {}
        for f in cpet_files(d, tuple(self.protocols)):
            seq = read_cpet_csv(f)
            reason = unusable_reason(seq)
            if reason is None:
                tests.append(seq)
            else:
                excluded[seq.name] = reason
            if self.limit is not None and len(tests) >= self.limit:
                break
        if not tests:
            raise GaitnodeError(f"{d}: none of the CPET tests is usable ({len(excluded)} left out)")
        group_of = subject_groups(tests)
        for s in tests:
            s.group = group_of[s.name]
        self.tests_ = tests
        self.excluded_ = excluded
        self.hr_masked_ = {s.name: s.hr_masked for s in tests if s.hr_masked}
        self.groups_ = {}
        for s in tests:
            self.groups_.setdefault(s.group, []).append(s.name)
        self.data_dir_ = d
        return self

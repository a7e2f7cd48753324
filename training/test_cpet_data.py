"""The real CPET loader: pyoxynet's files, HR masking, the usability rules, subject groups, bad files."""

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.training.cpet_data import (
    CpetDataset, cpet_files, pyoxynet_data_dir, read_cpet_csv, subject_groups, unusable_reason,
)

HEADER = ",time,VO2_I,VCO2_I,VE_I,HR_I,RF_I,PetO2_I,PetCO2_I,VEVO2_I,VEVCO2_I,age,height,weight,domain,gender," \
         "age_group,fitness_group"


def write_test(path, hr, vo2=None, *, age=30, height=1.75, weight=70.0, gender=-1, t0=0.0):
    n = len(hr)
    vo2 = np.linspace(800, 3000, n) if vo2 is None else vo2
    rows = [HEADER] + [f"{i},{t0 + i},{vo2[i]},0,0,{hr[i]},0,0,0,0,0,{age},{height},{weight},-1,{gender},1,2"
                       for i in range(n)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_installed_package_ships_88_ramp_and_50_resting_tests():
    d = pyoxynet_data_dir()
    assert len(cpet_files(d, ("ramp",))) == 88
    assert len(cpet_files(d, ("resting",))) == 50


def test_a_real_ramp_test_becomes_a_1hz_sequence_with_wearable_inputs_only():
    seq = read_cpet_csv(pyoxynet_data_dir() / "ramp_real_test_1.csv")
    assert seq.name == "ramp_1" and seq.synthetic is False and seq.sex == "male"
    assert (seq.age, seq.height_m, seq.mass_kg) == (32.0, 1.74, 88.0)
    assert np.array_equal(seq.t_s, np.arange(len(seq), dtype=float))
    assert seq.vo2_ml_min[0] == pytest.approx(1126.0) and seq.hr_bpm[0] == pytest.approx(116.0)
    assert set(seq.extra) == {"protocol", "path", "t0_s"}  # nothing of the gas exchange but VO2 is carried


def test_resting_tests_start_at_zero_even_when_the_file_starts_before_the_load():
    seq = read_cpet_csv(pyoxynet_data_dir() / "resting_real_test_12.csv")  # its time starts at -58 s
    assert seq.t_s[0] == 0.0 and seq.extra["t0_s"] == -58.0


def test_heart_rate_outside_physiology_is_masked_and_counted(tmp_path):
    hr = np.linspace(90, 170, 60)
    hr[[3, 10, 11]] = [0.0, 300.0, np.nan]
    seq = read_cpet_csv(write_test(tmp_path / "ramp_real_test_1.csv", hr))
    assert seq.hr_masked == 3
    assert np.isnan(seq.hr_bpm[[3, 10, 11]]).all() and np.isfinite(np.delete(seq.hr_bpm, [3, 10, 11])).all()


def test_usability_rules_name_the_reason(tmp_path):
    n = 100
    no_hr = read_cpet_csv(write_test(tmp_path / "ramp_real_test_1.csv", np.zeros(n)))
    assert "outside physiology in 100 of 100 s" in unusable_reason(no_hr)
    flat = read_cpet_csv(write_test(tmp_path / "ramp_real_test_2.csv", 60 + np.sin(np.arange(n))))
    assert "does not follow VO2" in unusable_reason(flat)
    good = read_cpet_csv(write_test(tmp_path / "ramp_real_test_3.csv", np.linspace(90, 170, n)))
    assert unusable_reason(good) is None


def test_the_dataset_leaves_out_unusable_tests_and_groups_near_identical_subjects(tmp_path):
    rising = np.linspace(90, 170, 80)
    write_test(tmp_path / "ramp_real_test_1.csv", rising, age=30, height=1.75, weight=70.0)
    write_test(tmp_path / "ramp_real_test_2.csv", rising + 3, age=31, height=1.755, weight=71.5)  # same person?
    write_test(tmp_path / "ramp_real_test_3.csv", rising, age=45, height=1.60, weight=55.0, gender=1)
    write_test(tmp_path / "ramp_real_test_4.csv", np.zeros(80))
    d = CpetDataset(protocols=("ramp",)).load(tmp_path)
    assert [s.name for s in d.tests_] == ["ramp_1", "ramp_2", "ramp_3"]
    assert list(d.excluded_) == ["ramp_4"]
    assert d.groups_ == {"ramp_1": ["ramp_1", "ramp_2"], "ramp_3": ["ramp_3"]}
    assert [s.group for s in d.tests_] == ["ramp_1", "ramp_1", "ramp_3"]


def test_subject_groups_are_transitive():
    from gaitnode.training.vo2_hr_data import Vo2Sequence

    def s(name, age):
        return Vo2Sequence(name, name, np.zeros(2), np.zeros(2), None, age, 1.7, 70.0, "male", False)

    assert set(subject_groups([s("a", 20), s("b", 21), s("c", 22), s("d", 40)]).values()) == {"a", "d"}


def test_the_real_data_leaves_out_the_tests_without_a_usable_heart_rate():
    d = CpetDataset(protocols=("ramp",)).load()
    assert set(d.excluded_) == {"ramp_6", "ramp_8"}
    assert len(d.tests_) == 86
    assert "r = 0.12" in d.excluded_["ramp_6"]


@pytest.mark.parametrize("content, message", [
    (HEADER.replace("HR_I,", "") + "\n0,0,1,0,0,0,0,0,0,0,30,1.7,70,-1,-1,1,2\n", "missing column(s) HR_I"),
    (HEADER + "\n0,0,800,0,0,90,0,0,0,0,0,30,1.7,70,-1,-1,1,2\n1,0,800,0,0,90,0,0,0,0,0,30,1.7,70,-1,-1,1,2\n",
     "time does not increase"),
    (HEADER + "\n0,0,800,0,0,90,0,0,0,0,0,30,1.7,70,-1,-1,1,2\n1,1,800,0,0,90,0,0,0,0,0,31,1.7,70,-1,-1,1,2\n",
     "column age changes within the test"),
    (HEADER + "\n0,0,800,0,0,90,0,0,0,0,0,30,1.7,70,-1,3,1,2\n1,1,800,0,0,90,0,0,0,0,0,30,1.7,70,-1,3,1,2\n",
     "gender 3 is not -1 (male) or 1 (female)"),
    (HEADER + "\n0,0,x,0,0,90,0,0,0,0,0,30,1.7,70,-1,-1,1,2\n1,1,800,0,0,90,0,0,0,0,0,30,1.7,70,-1,-1,1,2\n",
     "column VO2_I, data row 1"),
])
def test_bad_files_give_one_clear_error(tmp_path, content, message):
    f = tmp_path / "ramp_real_test_9.csv"
    f.write_text(content)
    with pytest.raises(InputFileError, match="ramp_real_test_9.csv") as e:
        read_cpet_csv(f)
    assert message in str(e.value)


def test_missing_files_and_folders_are_errors(tmp_path):
    with pytest.raises(InputFileError, match="no such CPET file"):
        read_cpet_csv(tmp_path / "ramp_real_test_1.csv")
    with pytest.raises(GaitnodeError, match="holds no ramp_real_test"):
        CpetDataset(protocols=("ramp",)).load(tmp_path)
    with pytest.raises(GaitnodeError, match="no such directory"):
        CpetDataset().load(tmp_path / "absent")
    with pytest.raises(GaitnodeError, match="must be one of ramp, resting"):
        CpetDataset(protocols=("cycling",)).load()

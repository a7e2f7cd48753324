"""One second at a time: the numpy stream computes what the Keras model computes, and handles live gaps."""

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_data import session_sequence
from gaitnode.training.vo2_hr_stream import StepWeights, Vo2HrStream
from gaitnode.training.vo2_hr_testing import TINY, short_walk, tiny_cpet
from gaitnode.training.vo2_hr_trainer import Vo2HrTrainer, predict_recordings


@pytest.fixture(scope="module")
def cpet():
    return tiny_cpet(3, 150)


@pytest.fixture(scope="module", params=["kalman", "gru"])
def trained(request, cpet):
    return Vo2HrTrainer(**{**TINY, "architecture": request.param}).fit(cpet[:2])


def stream_of(trainer, seq, cal):
    return Vo2HrStream(StepWeights.from_model(trainer.model_, trainer.meta_), trainer.meta_, age=seq.age,
                       height_m=seq.height_m, mass_kg=seq.mass_kg, sex=seq.sex, vo2_cal_ml_min=cal)


def test_the_stream_matches_the_keras_model_second_by_second(trained, cpet):
    seq = cpet[2]
    keras_out = predict_recordings(trained.model_, trained.meta_, [seq], 950.0)[0]
    st = stream_of(trained, seq, 950.0)
    out = np.array([st.push(hr) for hr in seq.hr_bpm])
    assert np.allclose(out, keras_out, rtol=1e-4, atol=0.05)
    assert st.last_ml_kg_min == pytest.approx(out[-1] / seq.mass_kg)


def test_a_live_dropout_holds_the_last_heart_rate(trained, cpet):
    seq = cpet[2]
    a, b = stream_of(trained, seq, 950.0), stream_of(trained, seq, 950.0)
    hr = seq.hr_bpm[:20]
    held = hr.copy()
    held[10:15] = hr[9]
    gappy = hr.copy()
    gappy[10:15] = [0.0, np.nan, 300.0, 0.0, 0.0]
    assert np.allclose([a.push(v) for v in gappy], [b.push(v) for v in held])


def test_the_stream_refuses_what_it_cannot_use(trained, cpet):
    seq = cpet[2]
    st = stream_of(trained, seq, 950.0)
    with pytest.raises(GaitnodeError, match="outside physiology .25-250 bpm. and none was seen before"):
        st.push(0.0)
    with pytest.raises(GaitnodeError, match="mass_kg None is missing or outside physiology"):
        Vo2HrStream(StepWeights.from_model(trained.model_, trained.meta_), trained.meta_, age=30, height_m=1.7,
                    mass_kg=None, sex="male", vo2_cal_ml_min=900)


def test_a_cadence_model_needs_cadence_every_second():
    walk = session_sequence(short_walk(2, 90.0))
    tr = Vo2HrTrainer(**{**TINY, "use_cadence": True, "seq_len": 60}).fit([walk])
    st = stream_of(tr, walk, 400.0)
    st.push(80.0, 0.0)
    with pytest.raises(GaitnodeError, match="the model uses cadence"):
        st.push(80.0)
    keras_out = predict_recordings(tr.model_, tr.meta_, [walk], 400.0)[0]
    st = stream_of(tr, walk, 400.0)
    out = [st.push(h, c) for h, c in zip(walk.hr_bpm, walk.cadence_spm)]
    assert np.allclose(out, keras_out, rtol=1e-4, atol=0.05)

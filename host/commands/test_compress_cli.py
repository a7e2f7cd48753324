import json
import shutil

from gaitnode.host.cli import main


def test_compress_writes_the_models_and_report(tmp_path, capsys):
    from gaitnode.sessions.store import write_session
    from gaitnode.twin.testing import simulated_walk, small_heel_strike_model

    model = tmp_path / "hs"
    shutil.copytree(small_heel_strike_model(), model)
    data = tmp_path / "walk.gns"
    write_session(simulated_walk(5, 40.0), data)
    assert main(["compress", str(model), "--data", str(data), "--epochs", "1", "--bits", "3",
                 "--max-sessions", "1"]) == 0
    rep = json.loads((model / "compress.json").read_text())
    assert rep["firmware"]["compressed"] is True and rep["firmware"]["decode_ops"] >= 1
    assert rep["lossless_check"]["max_abs"] == 0.0 and rep["synthetic_data"] is True
    assert (model / "model_compressed.tflite").stat().st_size == rep["steps"]["compressed"]["bytes"]
    assert rep["steps"]["compressed"]["bytes"] < rep["steps"]["int8"]["bytes"]
    capsys.readouterr()
    assert main(["compress", str(model), "--data", str(data)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_compress_bad_bits_is_one_error_line(tmp_path, capsys):
    from gaitnode.twin.testing import small_heel_strike_model

    assert main(["compress", str(small_heel_strike_model()), "--data", str(tmp_path), "--bits", "9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error:") and "bits" in err and "Traceback" not in err

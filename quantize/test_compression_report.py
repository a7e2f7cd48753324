from gaitnode.quantize.compression_report import output_paths, summary_rows


def test_output_paths_name_the_files_the_firmware_build_reads(tmp_path):
    p = output_paths(tmp_path, "vo2")
    assert p["compressed_tflite"].name == "model_compressed.tflite"
    assert p["pruned_tflite"].name == "model_pruned_int8.tflite"
    assert p["report"].name == "compress.json"
    assert p["data_h"] == tmp_path / "c" / "vo2_compressed_model_data.h"


def test_summary_rows_flatten_each_step():
    step = {"bytes": 100, "arena_bytes_measured": 50, "metric": 90.0, "metric_loss_vs_float": 0.0}
    rep = {"task": "activity", "metric": "accuracy_percent", "loss_kind": "points",
           "steps": {k: dict(step) for k in ("float", "int8", "pruned_int8", "compressed")},
           "flash_saving_vs_int8": 0.4, "metric_loss_vs_int8": 0.5, "target_met": True, "synthetic_data": True}
    rep["steps"]["compressed"]["bytes"] = 60
    (row,) = summary_rows({"act": rep})
    assert row["compressed_bytes"] == 60 and row["saving_vs_int8_percent"] == 40.0
    assert "float_arena" not in row and row["int8_arena"] == 50 and row["synthetic"] is True

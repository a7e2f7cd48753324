"""The committed sessions regenerate from the simulator (make_sessions.py), and the check tells a real
change from float rounding."""

from __future__ import annotations

from hil_tests.sessions import make_sessions as ms


def test_the_committed_sessions_regenerate(tmp_path):
    written = ms.write_all(tmp_path)
    assert [p.name for p in written] == [f"{s.name}.gns" for s in ms.SPECS]
    for path in written:
        # byte-identical on the machine that wrote them; another CPU or numpy may round floats differently
        assert ms.compare(ms.HERE / path.name, path) in ("identical", "rounding"), path.name


def test_the_check_notices_a_changed_or_missing_session(tmp_path):
    import dataclasses

    from gaitnode.sessions.store import write_session

    spec = ms.SPECS[0]
    changed = dataclasses.replace(spec, seed=spec.seed + 1)  # another draw of the same walk
    path = write_session(ms.simulate(changed), tmp_path / f"{spec.name}.gns")
    assert ms.compare(ms.HERE / path.name, path).startswith("content differs")
    assert ms.compare(tmp_path / "gone.gns", path).startswith("missing")


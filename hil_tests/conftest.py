"""Options and fixtures of the HIL suite: the same tests against a board (`--port`) or a fresh twin.

    pytest hil_tests                                         # a twin per test (also part of make test)
    pytest hil_tests --port /dev/ttyACM0 --board esp32s3 -n 0
    pytest hil_tests -n 3 --port /dev/ttyACM0,/dev/ttyACM1,/dev/ttyACM2   # worker gwN takes port N

Tests a DUT cannot do are deselected at collection, never left out from inside a test: `needs_reset`
for a board without a reset line, `needs_vo2` when the node's INFO lists no VO2 estimator, `needs_phase` /
`needs_activity` when it lists no gait-phase / activity model. The reason is given
as a HilDeselected warning, which pytest (and pytest-xdist, from its workers) shows in the summary.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from gaitnode.errors import GaitnodeError
from hil_tests.dut import DutProvider, DutTarget, lists_activity, lists_phase, lists_vo2, worker_port
from hil_tests.thresholds import COMMITTED_DIR, session_cases

FREE_WALK = COMMITTED_DIR / "free_walk.gns"  # also what the twin's IMU plays in live mode
MARKERS = {
    "needs_reset": "the test resets the node (twin: always possible; a board: a reset line in boards.yaml)",
    "needs_vo2": "the test checks VO2 estimates (runs when the node's INFO lists a VO2 estimator)",
    "needs_phase": "the test checks gait phases (runs when the node's INFO lists a gait-phase model)",
    "needs_activity": "the test checks activities (runs when the node's INFO lists an activity model)",
}
# marker -> (does the node's INFO list what it needs, what it lacks in words)
CAPABILITIES = {"needs_vo2": (lists_vo2, "VO2 estimator"), "needs_phase": (lists_phase, "gait-phase model"),
                "needs_activity": (lists_activity, "activity model")}
MODEL_OPTIONS = ("--model-dir", "--vo2-model-dir", "--phase-model-dir", "--activity-model-dir")


TARGET = pytest.StashKey[DutTarget]()


class HilDeselected(UserWarning):
    """Tests the DUT cannot run were deselected; the message says which and why."""


def pytest_addoption(parser):
    g = parser.getgroup("hil", "gaitnode HIL suite (hil_tests/)")
    g.addoption("--port", default=None,
                help="serial port of a board to test (default: a fresh twin per test); with pytest-xdist a "
                     "comma list, one port per worker: worker gwN takes the N-th")
    g.addoption("--board", default=None,
                help="the board's boards.yaml entry (budgets, reset line); default: the name in its INFO "
                     "(the twin: 'twin')")
    g.addoption("--sessions", default=None, metavar="DIR",
                help="replay every *.gns in DIR too, each with an optional <stem>.json of thresholds beside it")
    g.addoption("--model-dir", default=None,
                help="twin only: the quantized heel-strike model the twin runs (default: the test model)")
    g.addoption("--vo2-model-dir", default=None,
                help="twin only: the quantized VO2 model the twin runs (default: the VO2 test model)")
    g.addoption("--phase-model-dir", default=None,
                help="twin only: the quantized gait-phase model the twin runs (default: the phase test model)")
    g.addoption("--activity-model-dir", default=None,
                help="twin only: the quantized activity model the twin runs (default: the activity test model)")


def pytest_configure(config):
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist): check the options once
        _check_options(config)


def _check_options(config) -> None:
    """Options that cannot work, refused before any test or worker starts (one clear message)."""
    ports = config.getoption("--port")
    if ports is not None:
        workers = len(config.option.tx or []) if getattr(config.option, "dist", "no") != "no" else 0
        try:
            names = [worker_port(ports, f"gw{i}", workers) for i in range(workers)] or [worker_port(ports, None, None)]
        except GaitnodeError as e:
            raise pytest.UsageError(str(e)) from None
        for name in names:
            if not os.path.exists(name):
                raise pytest.UsageError(f"--port: serial port {name} does not exist (is the board plugged in? "
                                        "`gaitnode ports` lists ports)")
    try:
        session_cases(config.getoption("--sessions"))
    except GaitnodeError as e:
        raise pytest.UsageError(str(e)) from None
    board = config.getoption("--board")
    if board is not None:
        from gaitnode.boards.config import load_boards

        known = load_boards()
        if board not in known:
            raise pytest.UsageError(f"--board {board}: not in boards.yaml (known: {', '.join(known)})")
    for option in MODEL_OPTIONS:
        model_dir = config.getoption(option)
        if model_dir is None:
            continue
        if ports is not None:
            raise pytest.UsageError(f"{option} applies to the twin only: a board runs the models it was flashed with")
        if not (Path(model_dir) / "quantize.json").is_file():
            raise pytest.UsageError(f"{option} {model_dir}: not a quantized model directory (no quantize.json)")


def _target(config) -> DutTarget:
    """This process's DUT from the options (pytest-xdist: this worker's port)."""
    if TARGET not in config.stash:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        count = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
        try:
            port = worker_port(config.getoption("--port"), worker, int(count) if count else None)
        except GaitnodeError as e:
            raise pytest.UsageError(str(e)) from None
        dirs = {o: config.getoption(o) for o in MODEL_OPTIONS}
        path = {o: Path(d) if d is not None else None for o, d in dirs.items()}
        config.stash[TARGET] = DutTarget(port=port, board=config.getoption("--board"),
                                         model_dir=path["--model-dir"], vo2_model_dir=path["--vo2-model-dir"],
                                         phase_model_dir=path["--phase-model-dir"],
                                         activity_model_dir=path["--activity-model-dir"])
    return config.stash[TARGET]


def _with_model(target: DutTarget) -> DutTarget:
    """The target with the twin's default models filled in (trained once per machine, then cached)."""
    if target.kind != "twin":
        return target
    from gaitnode.twin import testing

    def given_or(model_dir, test_model: str):
        return model_dir if model_dir is not None else getattr(testing, test_model)()

    return DutTarget(port=None, board=target.board, model_dir=given_or(target.model_dir, "small_heel_strike_model"),
                     vo2_model_dir=given_or(target.vo2_model_dir, "small_vo2_model"),
                     phase_model_dir=given_or(target.phase_model_dir, "small_phase_model"),
                     activity_model_dir=given_or(target.activity_model_dir, "small_activity_model"))


def pytest_generate_tests(metafunc):
    """session_case: every session to replay; vo2_case: (session, VO2 estimator) for every estimator
    a session's thresholds check. The ACSM equations run on every node; the CNN-LSTM estimator needs a
    VO2 model on the node (needs_vo2). phase_case / activity_case: every session whose thresholds
    check gait phases / activities (needs_phase / needs_activity)."""
    for name in ("session_case", "vo2_case", "phase_case", "activity_case"):
        if name not in metafunc.fixturenames:
            continue
        try:
            cases = session_cases(metafunc.config.getoption("--sessions"))
            if name == "session_case":
                metafunc.parametrize(name, cases, ids=[c.id for c in cases])
                continue
            if name in ("phase_case", "activity_case"):
                field = f"{name.removesuffix('_case')}_accuracy_min"
                mark = pytest.mark.needs_phase if name == "phase_case" else pytest.mark.needs_activity
                params = [pytest.param(c, id=c.id, marks=[mark]) for c in cases
                          if getattr(c.thresholds(), field) is not None]
                metafunc.parametrize(name, params)
                continue
            params = [pytest.param((c, est), id=f"{c.id}-{est}",
                                   marks=[pytest.mark.needs_vo2] if est == "cnn_lstm" else [])
                      for c in cases for est, limit in c.thresholds().vo2_mape_max.items() if limit is not None]
        except GaitnodeError as e:
            raise pytest.UsageError(str(e)) from None
        metafunc.parametrize(name, params)


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: ask the node only when such a test is left
def pytest_collection_modifyitems(config, items):
    drop: dict[str, list] = {}
    reset_items = [i for i in items if i.get_closest_marker("needs_reset")]
    needs = {mark: [i for i in items if i.get_closest_marker(mark)] for mark in CAPABILITIES}
    if not (reset_items or any(needs.values())):
        return
    target = _target(config)
    info = _ask(config, target) if any(needs.values()) or (reset_items and not target.can_reset()) else None
    if reset_items and not target.can_reset(info.board if info is not None else None):
        drop[f"{target.describe()} cannot be reset from the host (its boards.yaml entry has no reset "
             "line)"] = reset_items
    for mark, group in needs.items():
        has, what = CAPABILITIES[mark]
        if group and info is not None and not has(info):
            models = ", ".join(x.name for x in info.models) or "none"
            drop.setdefault(f"the node's INFO lists no {what} (models: {models})", []).extend(group)
    if not drop:
        return
    gone = {id(i) for group in drop.values() for i in group}
    config.hook.pytest_deselected(items=[i for i in items if id(i) in gone])
    items[:] = [i for i in items if id(i) not in gone]
    for reason, group in drop.items():
        names = ", ".join(sorted({i.originalname for i in group}))
        path, line, _ = group[0].location  # shown as the warning's place: the test, not this hook
        warnings.warn_explicit(HilDeselected(f"deselected {len(group)} HIL test(s) ({names}): {reason}"),
                               HilDeselected, str(config.rootpath / path), (line or 0) + 1)


def _ask(config, target: DutTarget):
    """The node's INFO (one short connection), or None in an xdist worker that cannot reach it: its
    tests are kept and each fails at setup saying why (a worker cannot stop the run cleanly)."""
    try:
        with _with_model(target).open() as dut:
            return dut.info
    except GaitnodeError as e:
        if not hasattr(config, "workerinput"):
            raise pytest.UsageError(f"cannot ask {target.describe()} what it is: {e}") from None
        return None


@pytest.fixture(scope="session")
def hil_target(request) -> DutTarget:
    """What the suite runs against, the twin's models filled in (the shared test models by default)."""
    target = _target(request.config)
    if target.kind != "twin":
        return target
    return DutTarget(port=None, board=target.board,
                     model_dir=target.model_dir or request.getfixturevalue("twin_model_dir"),
                     vo2_model_dir=target.vo2_model_dir or request.getfixturevalue("twin_vo2_model_dir"),
                     phase_model_dir=target.phase_model_dir or request.getfixturevalue("twin_phase_model_dir"),
                     activity_model_dir=target.activity_model_dir
                     or request.getfixturevalue("twin_activity_model_dir"))


@pytest.fixture(scope="session")
def live_session():
    """The session the twin's IMU plays in live mode (a board samples its own IMU)."""
    from gaitnode.sessions.store import read_session

    return read_session(FREE_WALK)


@pytest.fixture(scope="session")
def dut_provider(hil_target, live_session):
    provider = DutProvider(hil_target, live_session)
    yield provider
    provider.close()


@pytest.fixture
def dut(dut_provider):
    """The node under test, idle, with a clean link: a fresh twin, or the board's connection."""
    d = dut_provider.acquire()
    yield d
    dut_provider.release(d)


@pytest.fixture(scope="session")
def walk_session():
    """The committed free walk (synthetic) and its path."""
    from gaitnode.sessions.store import read_session

    return read_session(FREE_WALK), FREE_WALK

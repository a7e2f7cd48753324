"""PlatformIO pre-build script: the board's generated headers and the models, checked, before compiling.

For env E (= a board of ../boards.yaml) and GAITNODE_MODELS="heel_strike=MODEL_DIR[,NAME=DIR...]":
1. `gaitnode boards header --board E -o GEN --force` writes gn_board_E.h into GEN
   (= .pio/build/E/gaitnode_gen);
2. `gaitnode boards check --board E --model-dir ...` fails the build, with its message, when the
   models exceed the board's flash / RAM / arena budgets;
3. copies MODEL_DIR/c/<name>_model_{data.h,data.cc,config.h} (from `gaitnode quantize`) into GEN;
4. adds GEN to the include path (the core, src/ and the libraries see it) and builds the model
   data (.cc) with the program.

Relative model dirs are taken from the repository root (the folder above firmware/). Files are
rewritten only when their content changes, so an unchanged model does not trigger a rebuild.
"""

import os
import shutil
import subprocess
import sys

Import("env")  # noqa: F821 - provided by PlatformIO (SCons)

PIO_ENV = env["PIOENV"]  # noqa: F821
PROJECT_DIR = env.subst("$PROJECT_DIR")  # noqa: F821
REPO_DIR = os.path.dirname(os.path.abspath(PROJECT_DIR))
GEN_DIR = os.path.join(env.subst("$BUILD_DIR"), "gaitnode_gen")  # noqa: F821
MODEL_FILES = ("{name}_model_data.h", "{name}_model_data.cc", "{name}_model_config.h")


def fail(message):
    sys.stderr.write("gaitnode pre-build (env %s): %s\n" % (PIO_ENV, message))
    env.Exit(1)  # noqa: F821


def gaitnode_cli():
    """The gaitnode command: $GAITNODE_CLI, else `gaitnode` on PATH."""
    cli = os.environ.get("GAITNODE_CLI") or shutil.which("gaitnode")
    if not cli:
        fail("the gaitnode CLI is not installed or not on PATH. Install it from the repository root with "
             "`pip install -e .` (in the environment PlatformIO runs from), or set GAITNODE_CLI to its path.")
    return cli


def model_dirs():
    """GAITNODE_MODELS as [(name, absolute dir)]."""
    spec = os.environ.get("GAITNODE_MODELS", "").strip()
    if not spec:
        fail("GAITNODE_MODELS is not set. Point it at the quantized model, e.g. "
             "`export GAITNODE_MODELS=heel_strike=models/hs_shank` (a folder after `gaitnode quantize heel-strike`).")
    out = []
    for item in spec.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            fail("GAITNODE_MODELS: %r must be NAME=MODEL_DIR, e.g. heel_strike=models/hs_shank" % item)
        path = os.path.expanduser(path)
        out.append((name, path if os.path.isabs(path) else os.path.join(REPO_DIR, path)))
    return out


def run_cli(args):
    cmd = [gaitnode_cli()] + args
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.stdout:
        sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        fail((proc.stderr.strip() or proc.stdout.strip() or "`%s` failed" % " ".join(cmd)))


def copy_if_changed(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    if os.path.exists(dst):
        with open(dst, "rb") as f:
            if f.read() == data:
                return
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dst)


def main():
    models = model_dirs()
    os.makedirs(GEN_DIR, exist_ok=True)
    model_args = []
    for name, path in models:
        model_args += ["--model-dir", "%s=%s" % (name, path)]
    boards_file = os.path.join(REPO_DIR, "boards.yaml")
    run_cli(["boards", "header", "--board", PIO_ENV, "--file", boards_file, "-o", GEN_DIR, "--force"])
    run_cli(["boards", "check", "--board", PIO_ENV, "--file", boards_file] + model_args)
    for name, path in models:
        for pattern in MODEL_FILES:
            src = os.path.join(path, "c", pattern.format(name=name))
            if not os.path.isfile(src):
                fail("%s is missing: run `gaitnode quantize heel-strike %s` first" % (src, path))
            copy_if_changed(src, os.path.join(GEN_DIR, os.path.basename(src)))
    env.Append(CPPPATH=[GEN_DIR])  # noqa: F821
    env.BuildSources(os.path.join("$BUILD_DIR", "gaitnode_models"), GEN_DIR, "+<*_model_data.cc>")  # noqa: F821


main()

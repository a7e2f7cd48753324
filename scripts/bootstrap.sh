#!/usr/bin/env bash
# Create/refresh .venv with everything `make demo` and `make test` need.
# Re-runs pip only when pyproject.toml changed (stamp file). Debian packages the project
# needs are listed in scripts/apt-packages.txt; they are installed when missing and we
# are root, otherwise we stop with the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}

need_apt=()
while read -r pkg cmd; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  if [[ "$cmd" == /* ]]; then [[ -e "$cmd" ]] || need_apt+=("$pkg")
  else command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$pkg"); fi
done < scripts/apt-packages.txt
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bootstrap: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
  else
    echo "bootstrap: missing Debian packages; run: sudo apt-get install --no-install-recommends ${need_apt[*]}" >&2
    exit 1
  fi
fi

if [[ ! -x $VENV/bin/python ]]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    echo "bootstrap: '$PYTHON -m venv' failed; install Python 3.10+ with venv (Debian: python3-venv)" >&2
    exit 1
  fi
fi

stamp=$VENV/.installed-$(cat pyproject.toml scripts/requirements-nodeps.txt | sha1sum | cut -c1-12)
if [[ ! -f $stamp ]]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
  "$VENV/bin/python" -m pip install -q -e '.[test,ml]'
  "$VENV/bin/python" -m pip install -q --no-deps -r scripts/requirements-nodeps.txt
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

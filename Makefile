# The two commands a fresh machine needs are `make demo` and `make test`; each sets itself up.
.PHONY: setup demo test bench clean

VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= build/demo

setup:
	@scripts/bootstrap.sh

demo: setup
	@scripts/demo.sh $(DEMO_DIR)

# -n 2: the CI machine has two cores.
test: setup
	$(PY) -m pytest -n 2 -q

bench: setup
	$(PY) benchmarks/bench_sessions.py --out build/bench
	$(PY) benchmarks/simulator_physics.py --out build/bench
	$(PY) benchmarks/firmware_size.py --out build/bench
	scripts/heel_strike.sh build/bench/heel_strike --full
	$(PY) benchmarks/twin.py --model-dir build/bench/heel_strike/models/hs_shank \
		--sessions build/bench/heel_strike/cohort --out build/bench
	$(PY) benchmarks/host_io.py --out build/bench
	scripts/vo2.sh build/bench/vo2 --full
	scripts/phase.sh build/bench/phase --full
	scripts/activity.sh build/bench/activity --full

clean:
	rm -rf build

# Two set-up commands on a fresh machine with only Python and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint types warm unit test-slow bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e . --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py --out out/demo
	$(BIN)/ccrouter simulate simulations/omnichannel_shop.toml --replications 10 --jobs 2 --verify --report out/demo/omnichannel.html

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks simulations examples
	$(BIN)/ruff format --check src tests benchmarks simulations examples

types: $(STAMP)
	$(BIN)/mypy

# The compiled simulator's kernels are compiled once here (Numba's disk cache), so the test
# workers load them instead of each compiling them at once.
warm: $(STAMP)
	$(BIN)/python -c "from ccrouter.sim.compiled import warmup; print(f'compiled simulator kernels ready ({warmup():.1f} s)')"

unit: warm
	$(BIN)/pytest -n 2 -q -m "not slow"

# On a fresh machine the kernels take minutes to compile on one core: they compile while lint
# and types run on the other, then the tests load them from the disk cache.
test: $(STAMP)
	@$(MAKE) --no-print-directory warm > $(VENV)/warm.log 2>&1 & warm=$$!; \
	$(MAKE) --no-print-directory lint types; checks=$$?; \
	wait $$warm; compiled=$$?; cat $(VENV)/warm.log; \
	test $$checks -eq 0 && test $$compiled -eq 0
	$(BIN)/pytest -n 2 -q -m "not slow"

test-slow: warm
	$(BIN)/pytest -n 2 -q -m slow

bench: $(STAMP)
	$(BIN)/python -m pip install -q --group bench -e .
	$(BIN)/python -m benchmarks.run --out out/bench.json

bench-smoke: $(STAMP)
	$(BIN)/python -m benchmarks.run --smoke --out out/bench-smoke.json

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis

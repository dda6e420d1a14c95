# segmint: `make demo` and `make test` work on a fresh machine (they install what they need).
VENV      ?= .venv
PY        := $(VENV)/bin/python
MATURIN   := VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin
# cargo test / clippy use their own target dir so they and maturin do not rebuild each other.
TEST_TARGET := CARGO_TARGET_DIR=target/test

.PHONY: demo test rust-test lint py-test docs bench bench-factor install install-release clean chromium fuzz

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "maturin>=1.9.4,<2"

# Release build (demo, benchmarks).
install-release: $(PY)
	$(MATURIN) develop --release --quiet

# Debug build with the test extra (tests, lints).
install: $(PY)
	$(MATURIN) develop --extras test --quiet

demo: install-release
	$(PY) -m segmint demo

rust-test:
	$(TEST_TARGET) cargo test --quiet
	$(TEST_TARGET) cargo clippy --all-targets --quiet -- -D warnings
	cargo fmt --check
	@if cargo tree -d --offline 2>/dev/null | grep -q '^ndarray v'; then \
		echo "two ndarray versions in the build: pin 0.16"; exit 1; fi

lint: install
	$(PY) -m ruff check python tests benchmarks
	$(PY) -m ruff format --check python tests benchmarks
	$(PY) -m mypy
	$(PY) -m mypy.stubtest segmint._core

py-test: install chromium
	$(PY) -m pytest -q

# Headless Chromium renders the HTML report in tests/test_report.py (Debian package `chromium`).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

test: rust-test lint py-test docs

# k-means at full size; the others in their quick form (run each file without --quick for the
# sizes quoted in the issues: some reference tools take minutes).
bench: install-release
	$(PY) -m pip install --quiet scikit-learn scipy kmodes gower kmedoids fastcluster CHAID xlogit polars pyarrow dask-ml
	$(PY) benchmarks/kmeans.py
	for b in metrics profile ward kmedoids kprototypes chaid conjoint hb latent_class conversion discriminant onedim twostep progress clara dask_kmeans dask_chaid; do $(PY) benchmarks/$$b.py --quick; done
	$(MAKE) bench-factor BENCH_ARGS=--quick

# Factor analysis vs factor_analyzer 0.5.1, which needs scikit-learn < 1.8: its own environment
# with segmint's release build in it (see benchmarks/factor.py).
BENCH_VENV := .bench-venv
bench-factor:
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet factor_analyzer==0.5.1 "scikit-learn<1.8" "maturin>=1.9.4,<2"
	VIRTUAL_ENV=$(abspath $(BENCH_VENV)) $(BENCH_VENV)/bin/maturin develop --release --quiet
	$(BENCH_VENV)/bin/python benchmarks/factor.py $(BENCH_ARGS)

clean:
	rm -rf target $(VENV)

# API reference and user guide (Sphinx + numpydoc + pydata-sphinx-theme + myst-nb): HTML in
# docs/_build/html; warnings are errors. The notebooks of examples/ are rendered as saved.
docs: $(PY)
	$(MATURIN) develop --extras test,docs --quiet
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

# Issue 19: hostile-input fuzzing. >= 100,000 hypothesis calls over the public entry points
# (counts per entry point: unexpected exception types, crashes, hangs, mutations), the
# 1,000-fork deadlock loop, and the Rust proptest targets for a bounded time. On the release
# build (`make install` switches back to the debug build for the tests); calls still running
# after 5 s are interrupted and listed (slow), failing calls are saved in .fuzz_cases/.
FUZZ_CALLS ?= 100000
fuzz: $(PY)
	$(MATURIN) develop --release --extras test --quiet
	$(PY) tests/fork_loop.py 1000 30
	PROPTEST_CASES=20000 $(TEST_TARGET) timeout 900 cargo test --quiet proptest_ -- --test-threads=1
	$(PY) tests/fuzz_run.py --calls $(FUZZ_CALLS) --jobs 2 --timeout 120 --slow 5

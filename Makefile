# crmine: the few commands a newcomer needs. Everything installs from the committed uv.lock.
UV ?= $(shell command -v uv 2>/dev/null || echo .bootstrap/bin/uv)
PY := .venv/bin/python
DEMO_DIR ?= demo-workspace

.PHONY: install system-deps test test-fast lint demo bench clean

$(UV):
	python3 -m venv .bootstrap && .bootstrap/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen --compile-bytecode

# System packages the tests drive for real: a PostgreSQL server (started by the tests themselves)
# and a Java runtime for the Spark engine. Installed with apt only when missing.
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; \
	fi
	@if ! command -v java >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless; \
	fi

test: install
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: install
	$(PY) -m pytest -n 2 -m "not slow"

lint: install
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/lint-imports

demo: install
	.venv/bin/crmine demo $(DEMO_DIR)

bench: install
	$(UV) sync --frozen --compile-bytecode --group bench
	$(PY) bench/run_all.py

clean:
	rm -rf .venv .bootstrap $(DEMO_DIR) .pytest_cache .ruff_cache

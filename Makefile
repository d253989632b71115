# The README's two commands are `make demo` and `make test`; both run set-up first.
.PHONY: setup demo test test-slow lint pytest reliability bench package-emr clean

VENV := .venv/bin

setup:
	@scripts/setup.sh

demo: setup
	$(VENV)/lakehouse demo

lint: setup
	$(VENV)/ruff format --check .
	$(VENV)/ruff check .
	$(VENV)/mypy
	$(VENV)/sqlfluff lint dbt/models dbt/macros dbt/tests --disable-progress-bar

pytest: setup
	$(VENV)/pytest

test: lint pytest

# The long end-to-end drills (kill -9, broker restart, second writer, duplicate sends,
# quarantine replay), about 8 minutes; .ci/run runs them after `make test`.
test-slow: setup
	$(VENV)/pytest -m slow

# The full fault drills; rewrites docs/RELIABILITY.md (34 minutes on a busy 2-core machine).
reliability: setup
	$(VENV)/lakehouse reliability --scale full --output docs/RELIABILITY.md

# The benchmarks against their baselines; rewrites docs/PERFORMANCE.md, performance.json and
# performance.png (31-36 minutes on 2 cores; run it on an otherwise idle machine).
bench: setup
	$(VENV)/python -m bench --scale full --output docs

# Everything the EMR job runs, into dist/emr, and the `aws s3 sync` lines (ENV=dev for dev).
ENV ?= prod
package-emr: setup
	$(VENV)/lakehouse --env $(ENV) airflow package-emr --output dist/emr

# Removes local state (broker data, lake, checkpoints, warehouse); keeps jars and .venv.
clean:
	-$(VENV)/lakehouse down
	rm -rf .lakehouse/state .lakehouse/lake .lakehouse/checkpoints .lakehouse/warehouse/*.duckdb

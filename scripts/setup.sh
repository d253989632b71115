#!/usr/bin/env bash
# Set-up for a fresh machine, idempotent and quick the second time:
#   1. checks Python 3.11, Java 17+ and Maven, and says how to get what is missing;
#   2. installs uv (pinned) into .lakehouse/tools, then the locked Python environment (.venv);
#   3. resolves the JVM jars (Spark's Kafka source, Delta, hadoop-aws; the Kafka broker)
#      from Maven Central into .lakehouse/jars, once per POM change, and trains the Spark
#      driver's class archive (.lakehouse/jvm) once per JDK, pyspark and jar set;
#   4. installs DuckDB's delta extension from its PyPI package into .lakehouse/warehouse;
#   5. installs checkov (Terraform checks) in its own environment, .lakehouse/checkov;
#   6. installs Airflow into its own environment (.lakehouse/airflow-venv) from airflow/uv.lock
#      and migrates its SQLite database (.lakehouse/airflow);
#   7. installs Chromium (Debian package) for the dashboard's browser test, when missing.
# Nothing is downloaded when the pipeline runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.lakehouse"
UV_VERSION="0.13.8"
PYTHON="${LAKEHOUSE_PYTHON:-python3.11}"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# 1. Prerequisites --------------------------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
  || die "Python 3.11 is required (found: $("$PYTHON" --version 2>&1 || echo none)).
  Install it (Debian/Ubuntu: apt-get install python3.11 python3.11-venv; macOS: brew install
  python@3.11) or point LAKEHOUSE_PYTHON at a 3.11 interpreter."

command -v java >/dev/null 2>&1 \
  || die "Java 17+ is required for Spark and the Kafka broker, and 'java' is not on PATH.
  Install a JDK 17 (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless; macOS: brew install
  openjdk@17) and re-run."
JAVA_MAJOR="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
[ "${JAVA_MAJOR:-0}" -ge 17 ] \
  || die "Java 17+ is required; 'java' on PATH is version ${JAVA_MAJOR:-unknown}.
  Install a JDK 17 and put it first on PATH (or set JAVA_HOME and PATH=\$JAVA_HOME/bin:\$PATH)."

command -v mvn >/dev/null 2>&1 \
  || die "Maven is required to resolve the Spark and Kafka jars from Maven Central.
  Install it (Debian/Ubuntu: apt-get install maven; macOS: brew install maven) and re-run."

mkdir -p "$STATE"

# 2. Python: uv, then the locked environment ------------------------------------------------
UV="$STATE/tools/bin/uv"
if ! { [ -x "$UV" ] && "$UV" --version 2>/dev/null | grep -q "$UV_VERSION"; }; then
  say "installing uv $UV_VERSION into .lakehouse/tools"
  "$PYTHON" -m venv "$STATE/tools"
  "$STATE/tools/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PYTHON_DOWNLOADS=never
# Installed packages come with their bytecode: every dbt, spark-submit or lakehouse start
# would otherwise compile its imports again (PYTHONDONTWRITEBYTECODE keeps none), about 6 s
# of each dbt start-up (docs/PERFORMANCE.md, dbt levers).
export UV_COMPILE_BYTECODE=1
say "Python environment (.venv) from uv.lock"
(cd "$ROOT" && "$UV" sync --frozen --quiet --python "$PYTHON")

# 3. JVM jars from Maven Central, once per POM --------------------------------------------
resolve_jars() {
  local name="$1" pom="$ROOT/jvm/$1/pom.xml" out="$STATE/jars/$1"
  local stamp="$out/.pom.sha256" want
  want="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return
  fi
  say "resolving $name jars from Maven Central into .lakehouse/jars/$name (first run only)"
  rm -rf "$out"
  mvn --batch-mode --quiet -Dstyle.color=never -f "$pom" dependency:copy-dependencies -Djars.dir="$out" \
    || die "Maven could not resolve $pom. Check network access to Maven Central
  (or a mirror in ~/.m2/settings.xml) and re-run."
  echo "$want" > "$stamp"
}
resolve_jars spark
resolve_jars kafka

# 3b. The Spark driver's class archive, once per JDK, pyspark and jar set -------------------
# Local jobs map the classes a trained run loaded instead of loading them again (faster
# start-up; lakehouse/streaming/class_archive.py). Without it jobs still run, only slower
# to start, so a failed training warns instead of stopping set-up.
(cd "$ROOT" && "$ROOT/.venv/bin/python" -m lakehouse.streaming.class_archive) \
  || say "warning: the Spark class archive was not trained (see above); jobs start without it"

# 4. DuckDB's delta extension, from its PyPI package (DuckDB cannot download it here) ------
"$ROOT/.venv/bin/python" - "$ROOT" <<'PY'
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from lakehouse.config import load_settings
from lakehouse.warehouse.dbt import ensure_duckdb_extensions

settings = load_settings()
ensure_duckdb_extensions(settings.path(settings.warehouse.duckdb_extension_dir))
PY

# 5. Terraform checks (issue 6): checkov in its own environment ----------------------------
# checkov pins dependencies that clash with dbt's and pyspark's, so it gets its own small
# uv project (infra/terraform/checks) and venv (.lakehouse/checkov); tests/infra calls it.
CHECKOV_ENV="$STATE/checkov"
(cd "$ROOT/infra/terraform/checks" && UV_PROJECT_ENVIRONMENT="$CHECKOV_ENV" \
  "$UV" sync --frozen --quiet --python "$PYTHON") \
  || die "could not install checkov from infra/terraform/checks/uv.lock into .lakehouse/checkov."

# 6. Airflow, in its own environment --------------------------------------------------------
# Separate from .venv: resolved without Airflow's constraints files (unreachable here, and
# they pin protobuf 4 against dbt's 6); it installs this repository's lakehouse package, so
# DAG tasks call the project's own code. Migrating is skipped while the lock is unchanged.
AIRFLOW_VENV="$STATE/airflow-venv"
say "Airflow environment (.lakehouse/airflow-venv) from airflow/uv.lock"
(cd "$ROOT/airflow" && UV_PROJECT_ENVIRONMENT="$AIRFLOW_VENV" "$UV" sync --frozen --quiet --python "$PYTHON")
AIRFLOW_STAMP="$STATE/airflow/.migrated.sha256"
AIRFLOW_WANT="$(sha256sum "$ROOT/airflow/uv.lock" | cut -d' ' -f1)"
if ! { [ -f "$AIRFLOW_STAMP" ] && [ "$(cat "$AIRFLOW_STAMP")" = "$AIRFLOW_WANT" ]; }; then
  say "migrating Airflow's database (.lakehouse/airflow/airflow.db)"
  mkdir -p "$STATE/airflow"
  AIRFLOW_HOME="$STATE/airflow" AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIRFLOW__CORE__DAGS_FOLDER="$ROOT/airflow/dags" \
    "$AIRFLOW_VENV/bin/airflow" db migrate >"$STATE/airflow/migrate.log" 2>&1 \
    || die "airflow db migrate failed; see .lakehouse/airflow/migrate.log"
  echo "$AIRFLOW_WANT" > "$AIRFLOW_STAMP"
fi

# 7. Chromium for the dashboard's browser test ---------------------------------------------
# Debian's own package (a browser download would fail here); the test drives it over the
# DevTools protocol, so no chromedriver is needed. Skipped when it is already installed.
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    say "installing Chromium (Debian package chromium) for the dashboard's browser test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      >"$STATE/chromium-install.log" 2>&1 \
      || die "apt-get install chromium failed; see .lakehouse/chromium-install.log"
  else
    say "warning: Chromium is not installed and set-up cannot install it (needs root and apt-get).
  The dashboard's browser test (tests/lakehouse/dashboard/test_browser.py) will fail until it
  is: as root on Debian/Ubuntu, apt-get install chromium. Everything else works without it."
  fi
fi

say "ready: $("$ROOT/.venv/bin/lakehouse" --help >/dev/null && echo 'lakehouse CLI installed in .venv/bin')"

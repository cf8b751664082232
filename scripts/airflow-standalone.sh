#!/usr/bin/env bash
# `make up`: Airflow 3 standalone (api-server, scheduler, dag-processor, triggerer in one
# command) on an SQLite metadata DB under $AEGIS_HOME/airflow, with this repository's DAGs and
# the AegisMatrix plugin. Open http://localhost:8080 and pick "AegisMatrix" in the navigation.
# Log in as admin; the password is printed on first start and kept in
# $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated (mode 0600: umask 077 below).
# Works with nothing on PATH: standalone starts its components as `airflow ...` subprocesses,
# so the venv's bin folder goes first on PATH. The UI binds 127.0.0.1 unless
# AIRFLOW__API__HOST says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV_BIN="$ROOT/.venv/bin"
if [ ! -x "$VENV_BIN/airflow" ]; then
  echo "airflow-standalone: $VENV_BIN/airflow not found; run \`make install\` first" >&2
  exit 1
fi
export PATH="$VENV_BIN:$PATH"
umask 077

export AEGIS_HOME="${AEGIS_HOME:-$ROOT/var}"
export AEGIS_MODELS_DIR="${AEGIS_MODELS_DIR:-$AEGIS_HOME/deploy/models}"  # where `make demo` keeps them
export AIRFLOW_HOME="${AIRFLOW_HOME:-$AEGIS_HOME/airflow}"
mkdir -p "$AIRFLOW_HOME" "$AEGIS_HOME"

export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-True}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:-admin:admin}"
export AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY="${AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY:-30}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
# the page's operator corner asks this server's REST API (configured, never the Host header)
export AEGIS_AIRFLOW_API_URL="${AEGIS_AIRFLOW_API_URL:-http://127.0.0.1:$AIRFLOW__API__PORT}"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# The pool of the CPU-heavy training tasks (dags/aegis_common.py TRAINING_POOL): created before
# the scheduler starts, or train_model would wait for a pool that does not exist.
"$VENV_BIN/airflow" db migrate > /dev/null
"$VENV_BIN/airflow" pools set aegis_training "${AEGIS_TRAINING_SLOTS:-2}" \
  "CPU-heavy training tasks (train_model)" > /dev/null
echo "Airflow home $AIRFLOW_HOME, AegisMatrix home $AEGIS_HOME"
echo "UI: http://localhost:$AIRFLOW__API__PORT  (AegisMatrix page: /plugin/aegismatrix)"
exec "$VENV_BIN/airflow" standalone

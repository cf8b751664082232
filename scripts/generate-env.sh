#!/usr/bin/env bash
# Write .env with fresh random secrets for `docker compose up` (mode 0600). See generate_env.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" scripts/generate_env.py "$@"

#!/usr/bin/env bash
# Create/refresh the venv, install pressclips with its test extras, run the test suite.
# PostgreSQL tests run when 127.0.0.1:5432 answers and are skipped with a reason otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"

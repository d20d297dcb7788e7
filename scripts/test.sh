#!/usr/bin/env bash
# Create/refresh the venv, install pressclips with its test extras, lint and type-check, run the tests.
# PostgreSQL tests run when 127.0.0.1:5432 answers and are skipped with a reason otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
.venv/bin/python -m ruff check .
.venv/bin/python -m mypy
# Four workers on two cores: most of the suite's time is crawls waiting out politeness delays, not CPU.
# --dist loadfile keeps each module on one worker, so a module-scoped crawl runs once.
exec .venv/bin/python -m pytest -q -n 4 --dist loadfile "$@"

#!/usr/bin/env bash
# README command 2: set everything up and run every gate and the whole test suite against
# real, throwaway InfluxDB servers (started and stopped by the tests).
EXTRAS=test
source "$(dirname "$0")/setup.sh"
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff check";         ruff check .
echo "==> ruff format --check"; ruff format --check .
echo "==> mypy (strict)";       mypy
echo "==> docs (sphinx -W)";    sphinx-build -W -q -b html docs docs/_build/html
echo "==> README renders";      python -W ignore::UserWarning -m readme_renderer README.rst -o /dev/null
echo "==> tests (coverage of aioinflux/ at least 90%)"
python -m pytest --cov=aioinflux --cov-report=term-missing:skip-covered --cov-fail-under=90 "$@"

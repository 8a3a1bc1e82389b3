#!/usr/bin/env bash
# README command 1: set everything up, start a throwaway local InfluxDB, write, query, print.
EXTRAS=pandas
source "$(dirname "$0")/setup.sh"
exec .venv/bin/python examples/quickstart.py "$@"

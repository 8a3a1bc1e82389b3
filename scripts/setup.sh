# Shared set-up of the two README commands; sourced, not run.
# Makes .venv (Python 3.11+) with aioinflux and the extras in $EXTRAS, and makes sure an
# InfluxDB 1.x server binary (influxd) is available: installs Debian's package as root.
# The tests (EXTRAS=test) also need an HTTP proxy, Debian's tinyproxy, and a browser for the
# check of the built docs, Debian's chromium, installed the same way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "aioinflux needs Python 3.11 or newer; set PYTHON=/path/to/python3.x" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$PYTHON" -m venv .venv
fi

# apt_install PACKAGE WHAT HELP: install a Debian package as root (apt-get update once per
# run), or print HELP and fail when this is not root on Debian.
APT_UPDATED=
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing $2"
        export DEBIAN_FRONTEND=noninteractive
        if [ -z "$APT_UPDATED" ]; then
            apt-get update -qq
            APT_UPDATED=1
        fi
        apt-get install -y -qq "$1" >/dev/null
    else
        printf '%s\n' "$3" >&2
        exit 1
    fi
}

if [ -z "${AIOINFLUX_INFLUXD:-}" ] && ! command -v influxd >/dev/null 2>&1; then
    # the package tries to start its service, which containers refuse: harmless
    apt_install influxdb "InfluxDB 1.x (Debian package influxdb)" "\
InfluxDB 1.x (influxd) is needed and was not found. Install it, e.g.
    sudo apt-get install influxdb          (Debian, Ubuntu)
or download InfluxDB 1.x from InfluxData and set AIOINFLUX_INFLUXD=/path/to/influxd."
fi

if [ "$EXTRAS" = test ] && ! command -v tinyproxy >/dev/null 2>&1; then
    apt_install tinyproxy "tinyproxy (Debian package tinyproxy; the proxy tests start it)" "\
tinyproxy (an HTTP proxy the tests start on 127.0.0.1) is needed and was not found:
    sudo apt-get install tinyproxy          (Debian, Ubuntu)"
fi

if [ "$EXTRAS" = test ] && ! command -v chromium >/dev/null 2>&1; then
    apt_install chromium "chromium (Debian package chromium; tests/test_docs_layout.py opens the docs in it)" "\
chromium (a headless browser the docs check opens the built pages in) is needed and was
not found:
    sudo apt-get install chromium           (Debian; on Ubuntu its package needs snap)"
fi

# The tests build and test the compiled text check beside the pure one: they need a C
# compiler (without one, pip installs the pure package, which the main job runs fine on).
if [ "$EXTRAS" = test ] && ! command -v cc >/dev/null 2>&1; then
    apt_install gcc "a C compiler (Debian package gcc; the tests build the compiled accelerators)" "\
A C compiler (cc) is needed to build the compiled accelerators the tests test:
    sudo apt-get install gcc                (Debian, Ubuntu)"
fi

echo "==> installing aioinflux[$EXTRAS] into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"
if [ "$EXTRAS" = test ] && ! .venv/bin/python -c \
    "import aioinflux.serialization._ctextcheck, aioinflux.serialization._cencode"; then
    echo "the compiled accelerators were not built (see pip's warning above: Python's" \
        "headers, e.g. Debian's python3-dev, may be missing)" >&2
    exit 1
fi

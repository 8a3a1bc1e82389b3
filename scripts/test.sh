#!/usr/bin/env bash
# README command 2: set everything up, run every gate once, then the whole test suite on each
# supported Python the machine has, against real, throwaway InfluxDB servers (started and
# stopped by the tests). .venv (made with $PYTHON, default python3) runs the gates and the
# tests with coverage; every other supported Python found runs the tests (no coverage) in a
# .venv-3.X of its own. Arguments go to every pytest run. The gates stop at the first
# failure; the test runs all go on, and the script exits non-zero after a summary if any
# failed (with the first failing run's exit code).
#   AIOINFLUX_PYTHONS="3.12 3.13"  versions to run the tests on (default: every supported
#                                  one; .venv's always runs; "" for .venv's only)
#   AIOINFLUX_MISSING_PYTHON=fail  a supported version the machine lacks fails the run
#                                  (.ci/run sets it); by default it is only reported

# The Pythons aioinflux supports; setup.py's classifiers and tox.ini's envs name the same
# (tests/test_packaging.py checks it).
SUPPORTED="3.11 3.12 3.13"
WANTED=${AIOINFLUX_PYTHONS-$SUPPORTED}
MISSING_PYTHON=${AIOINFLUX_MISSING_PYTHON:-report}
for v in $WANTED; do
    if [[ " $SUPPORTED " != *" $v "* ]]; then
        echo "AIOINFLUX_PYTHONS: $v is not a supported version ($SUPPORTED)" >&2
        exit 2
    fi
done
if [ "$MISSING_PYTHON" != report ] && [ "$MISSING_PYTHON" != fail ]; then
    echo "AIOINFLUX_MISSING_PYTHON must be 'report' or 'fail', got '$MISSING_PYTHON'" >&2
    exit 2
fi

EXTRAS=test
source "$(dirname "$0")/setup.sh"
export PATH="$PWD/.venv/bin:$PATH"

# The full version of an interpreter (3.12.1), or nothing when it does not run (a pyenv shim
# of a version that is installed but not selected exits with an error).
version_of() {
    "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true
}

# A working interpreter of version $1 (3.X): python3.X on PATH, else pyenv's newest 3.X.*.
PYENV_VERSIONS="${PYENV_ROOT:-$HOME/.pyenv}/versions"
find_python() {
    local candidates=() candidate
    candidate=$(command -v "python$1" || true)
    [ -n "$candidate" ] && candidates+=("$candidate")
    while IFS= read -r candidate; do
        candidates+=("$candidate")
    done < <(compgen -G "$PYENV_VERSIONS/$1.*/bin/python$1" | sort -V -r)
    for candidate in "${candidates[@]}"; do
        if [[ "$(version_of "$candidate")" == "$1".* ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# The version whose tests run on pandas 2 (the others get pandas 3): both are supported,
# and their dtypes and warnings differ (tox.ini's env for it pins the same).
PANDAS2_PYTHON=3.12
# The version whose tests run on the pure implementations (AIOINFLUX_NO_EXTENSIONS=1; the
# others use the compiled ones): every test runs on both (the compiled check is compared with
# the pure one on each Python all the same).
PURE_PYTHON=3.13

# .venv-3.X with aioinflux and its test extra, (re)made when it has no working 3.X.
make_venv() {  # python venv version
    local pins=()
    [ "$3" != "$PANDAS2_PYTHON" ] || pins=("pandas>=2.2,<3")
    if [ "$(version_of "$2/bin/python")" != "$(version_of "$1")" ]; then
        echo "==> creating $2"
        "$1" -m venv --clear "$2" || return
    fi
    echo "==> installing aioinflux[test] ${pins[*]} into $2"
    "$2/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip &&
        "$2/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]" \
            "${pins[@]}"
}

MAIN=$(version_of .venv/bin/python)
OTHERS=() OTHER_PYTHONS=() NOT_FOUND=() NOT_ASKED=()
for v in $SUPPORTED; do
    if [ "$v" = "${MAIN%.*}" ]; then
        continue
    elif [[ " $WANTED " != *" $v "* ]]; then
        NOT_ASKED+=("$v")
    elif python=$(find_python "$v"); then
        OTHERS+=("$v")
        OTHER_PYTHONS+=("$python")
    else
        NOT_FOUND+=("$v")
    fi
done
echo "==> Pythons: $MAIN in .venv runs the gates and the tests with coverage"
for i in "${!OTHERS[@]}"; do
    echo "    $(version_of "${OTHER_PYTHONS[$i]}") (${OTHER_PYTHONS[$i]}) runs the tests in .venv-${OTHERS[$i]}"
done
[ ${#NOT_FOUND[@]} -eq 0 ] ||
    echo "    not found: ${NOT_FOUND[*]} (looked for python3.X on PATH and in $PYENV_VERSIONS)"
[ ${#NOT_ASKED[@]} -eq 0 ] || echo "    not asked for (AIOINFLUX_PYTHONS): ${NOT_ASKED[*]}"

echo "==> ruff check";         ruff check .
echo "==> ruff format --check"; ruff format --check .
echo "==> mypy (strict)";       mypy
echo "==> docs (sphinx -W)";    sphinx-build -W -q -b html docs docs/_build/html
echo "==> README renders";      python -W ignore::UserWarning -m readme_renderer README.rst -o /dev/null

STATUS=0 PASSED=() FAILED=() REPORT=()
failed() {  # version, where, what failed, its exit code
    [ "$STATUS" -ne 0 ] || STATUS=$4
    FAILED+=("$1")
    REPORT+=("Python $1 ($2): FAILED ($3 exited with $4)")
}

echo "==> tests on Python $MAIN (.venv; coverage of aioinflux/ at least 90%)"
if python -m pytest --cov=aioinflux --cov-report=term-missing:skip-covered \
    --cov-fail-under=90 "$@"; then
    PASSED+=("$MAIN")
    REPORT+=("Python $MAIN (.venv, with coverage): passed")
else
    failed "$MAIN" ".venv, with coverage" pytest $?
fi
for i in "${!OTHERS[@]}"; do
    venv=.venv-${OTHERS[$i]}
    version=$(version_of "${OTHER_PYTHONS[$i]}")
    make_venv "${OTHER_PYTHONS[$i]}" "$venv" "${OTHERS[$i]}" || {
        failed "$version" "$venv" "setting it up" $?
        continue
    }
    pure=()
    [ "${OTHERS[$i]}" != "$PURE_PYTHON" ] || pure=(env AIOINFLUX_NO_EXTENSIONS=1)
    echo "==> tests on Python $version ($venv${pure:+, pure implementations})"
    if "${pure[@]}" "$venv/bin/python" -m pytest "$@"; then
        PASSED+=("$version")
        REPORT+=("Python $version ($venv): passed")
    else
        failed "$version" "$venv" pytest $?
    fi
done
for v in "${NOT_FOUND[@]}"; do
    REPORT+=("Python $v: not found on this machine")
done

echo "==> summary of the test runs"
printf '    %s\n' "${REPORT[@]}"
echo "==> tests passed on: ${PASSED[*]:-none}; failed on: ${FAILED[*]:-none};" \
    "not found: ${NOT_FOUND[*]:-none}"
if [ ${#NOT_FOUND[@]} -ne 0 ] && [ "$MISSING_PYTHON" = fail ]; then
    echo "==> a supported Python is missing (AIOINFLUX_MISSING_PYTHON=fail): install" \
        "python${NOT_FOUND[0]} (on PATH or under $PYENV_VERSIONS)" >&2
    [ "$STATUS" -ne 0 ] || STATUS=1
fi
exit "$STATUS"

"""The compiled accelerators: in use when built, switched off by AIOINFLUX_NO_EXTENSIONS.

(That each one behaves as its pure implementation is tested beside the pure one's tests:
tests/test_serialization_textcheck.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import aioinflux
from aioinflux import _compiled
from aioinflux.serialization import _textcheck, mapping

REPORT = (
    "import aioinflux; from aioinflux.serialization import _textcheck, mapping; "
    "print(aioinflux.__extensions__, _textcheck._COMPILED is not None, "
    "mapping._COMPILED is not None)"
)


def run_with(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "AIOINFLUX_NO_EXTENSIONS"}
    if value is not None:
        env["AIOINFLUX_NO_EXTENSIONS"] = value
    done = subprocess.run(
        [sys.executable, "-c", REPORT], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_this_process_uses_what_the_switch_says():
    if _compiled.DISABLED:
        assert aioinflux.__extensions__ == ()
        assert _textcheck._COMPILED is None
        assert mapping._COMPILED is None
    else:
        # the README's test command builds them: a missing one is a failure
        assert aioinflux.__extensions__ == ("encode", "textcheck")
        assert _textcheck._COMPILED is not None
        assert mapping._COMPILED is not None


@pytest.mark.parametrize(
    ("value", "report"),
    [
        (None, "('encode', 'textcheck') True True"),
        ("", "('encode', 'textcheck') True True"),
        ("0", "('encode', 'textcheck') True True"),
        ("1", "() False False"),
        ("yes", "() False False"),
    ],
)
def test_aioinflux_no_extensions_forces_the_pure_path(value, report):
    assert run_with(value) == report

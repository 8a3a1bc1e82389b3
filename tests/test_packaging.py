"""The supported Python versions are named alike wherever they are named.

setup.py promises them (``python_requires`` and the classifiers), ``scripts/test.sh`` (so
.ci/run) runs the tests on each of them, tox has an env per version, and ruff and mypy check
the code for the oldest.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def setup_keywords() -> dict[str, ast.expr]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    (call,) = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup"
    ]
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def classified_versions() -> list[str]:
    classifiers = ast.literal_eval(setup_keywords()["classifiers"])
    prefix = "Programming Language :: Python :: "
    return [c[len(prefix) :] for c in classifiers if re.fullmatch(r"3\.\d+", c[len(prefix) :])]


def test_test_script_runs_every_classified_version():
    script = (ROOT / "scripts" / "test.sh").read_text()
    (supported,) = re.findall(r'^SUPPORTED="([^"]*)"$', script, re.MULTILINE)
    assert supported.split() == classified_versions() == ["3.11", "3.12", "3.13"]


def test_tox_has_an_env_per_classified_version():
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    envs = [e.strip() for e in tox["tox"]["envlist"].split(",")]
    versions = [f"py{v.replace('.', '')}" for v in classified_versions()]
    assert [e for e in envs if e.startswith("py")] == versions
    # the gates keep their envs
    assert {"tests", "lint", "type", "docs"} <= set(envs)


def test_oldest_version_is_the_one_required_and_checked():
    oldest = classified_versions()[0]
    assert ast.literal_eval(setup_keywords()["python_requires"]) == f">={oldest}"
    # read as text: tomllib is new in Python 3.11
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.findall(r'^target-version = "(.*)"$', pyproject, re.MULTILINE) == [
        f"py{oldest.replace('.', '')}"
    ]
    assert re.findall(r'^python_version = "(.*)"$', pyproject, re.MULTILINE) == [oldest]

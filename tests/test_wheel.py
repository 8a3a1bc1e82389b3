"""The distributions install as they should: the wheel of this checkout carries every
compiled accelerator and they import from a fresh venv; the sdist installs the pure package
where no C compiler works, and the accelerators where one does.

Rule 1: no network. pip builds with ``--no-build-isolation`` (the setuptools of the test
environment: setuptools 70.1 and newer build wheels without the ``wheel`` package, so the
``test`` extra asks for it) and installs with ``--no-index --no-deps``.
Rule 2: the fresh venvs get aioinflux's dependencies (aiohttp, ciso8601) and setuptools from
the test environment through a ``.pth`` file listing its site-packages. A directory a ``.pth``
adds is not itself a site directory, so its ``.pth`` files (the editable install of this
checkout) are not run: aioinflux comes from the fresh venv, which each test checks. pip gets
``--ignore-installed``, so it neither skips nor uninstalls the aioinflux it sees there.
Rule 3: builds run on a copy of the checkout (the files git tracks or would track), so that
nothing left in ``build/`` leaks into a wheel and the checkout is left as it was.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib.machinery import EXTENSION_SUFFIXES
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from aioinflux.serialization import serialize

ROOT = Path(__file__).parent.parent

#: one point, serialized by the installed package and by this checkout alike
POINT = {"measurement": "cpu", "tags": {"host": "a b"}, "fields": {"load": 0.5, "n": 3}, "time": 7}

#: what a fresh venv reports: where aioinflux and each named module come from (None for a
#: module that is not there), the accelerators in use, and the point serialized
PROBE = """
import importlib, importlib.util, json, sys
import aioinflux
from aioinflux.serialization import serialize
modules = {}
for name in sys.argv[2:]:
    found = importlib.util.find_spec(name) is not None
    modules[name] = importlib.import_module(name).__file__ if found else None
print(json.dumps({
    "aioinflux": aioinflux.__file__,
    "extensions": list(aioinflux.__extensions__),
    "modules": modules,
    "point": serialize(json.loads(sys.argv[1])).decode(),
}))
"""


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """``command``'s standard output; on failure, an assertion error with all it printed."""
    args = [str(a) for a in command]
    try:
        done = subprocess.run(
            args, cwd=cwd, env=env or clean_env(), check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as exc:
        raise AssertionError(
            f"{args} exited with {exc.returncode}\n"
            f"--- stdout\n{exc.stdout}\n--- stderr\n{exc.stderr}"
        ) from None
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    # PYTHONPATH would put the checkout ahead of the installed package; the switch would
    # build (and load) no accelerator
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AIOINFLUX_NO_EXTENSIONS")
    }
    env.update(extra)
    return env


def compiled_modules() -> list[str]:
    """The accelerators' module names, one per C source (``aioinflux/**/_c*.c``)."""
    sources = sorted(ROOT.glob("aioinflux/**/_c*.c"))
    assert sources, "no C source found: this test would prove nothing"
    return [".".join(s.relative_to(ROOT).with_suffix("").parts) for s in sources]


def expected_extensions() -> list[str]:
    """``aioinflux.__extensions__`` with every accelerator in use: the name each compiled
    module is loaded as, read from the package's ``_compiled.load("name", "module")`` calls."""
    names: dict[str, str] = {}
    for path in sorted((ROOT / "aioinflux").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "load"
                and len(node.args) == 2
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            ):
                name, module = (a.value for a in node.args)
                names[module] = name
    missing = [m for m in compiled_modules() if m not in names]
    assert not missing, f"compiled modules not loaded through aioinflux._compiled: {missing}"
    return sorted({names[m] for m in compiled_modules()})


def extension_module(member: str) -> str | None:
    """The module a wheel's member ``member`` is, when it is a compiled one."""
    for suffix in sorted(EXTENSION_SUFFIXES, key=len, reverse=True):
        if member.endswith(suffix):
            return member[: -len(suffix)].replace("/", ".")
    return None


def check_setuptools() -> None:
    """Fail with the remedy when the test environment cannot build without the network."""
    try:
        found = version("setuptools")
    except PackageNotFoundError:
        found = "none"
    assert tuple(int(n) for n in re.findall(r"\d+", found)[:2]) >= (70, 1), (
        f"building offline needs setuptools 70.1 or newer, found {found}: install the test "
        "extra again (pip install -e '.[test]')"
    )


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout: the files git tracks, and the new ones it does not ignore."""
    check_setuptools()
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    copy = tmp_path_factory.mktemp("source")
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the checkout stays out
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--no-cache-dir", "-w", out, source, cwd=out,
    )  # fmt: skip
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    # the PEP 517 hook every frontend calls (pip has no sdist command)
    hook = "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])"
    run(sys.executable, "-c", hook, out, cwd=source)
    (built,) = out.glob("*.tar.gz")
    return built


def install(target: Path, tmp_path: Path, **env: str) -> tuple[Path, dict[str, object]]:
    """Install ``target`` (a wheel or an sdist) into a fresh venv in ``tmp_path``; its
    site-packages directory, and what :data:`PROBE` reports there."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    get = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(run(python, "-I", "-c", get, cwd=tmp_path).strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_aioinflux_test_env.pth").write_text("".join(f"{p}\n" for p in ours))
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--no-build-isolation", "--ignore-installed", "--no-cache-dir", target,
        cwd=tmp_path, env=clean_env(**env),
    )  # fmt: skip
    # -I: neither the current directory nor PYTHON* variables on the path
    args = [python, "-I", "-c", PROBE, json.dumps(POINT), *compiled_modules()]
    return site, json.loads(run(*args, cwd=tmp_path))


def test_the_wheel_holds_one_compiled_module_per_c_source(wheel):
    with zipfile.ZipFile(wheel) as archive:
        members = archive.namelist()
        (wheel_file,) = [m for m in members if m.endswith(".dist-info/WHEEL")]
        metadata = archive.read(wheel_file).decode()
    compiled = sorted(filter(None, map(extension_module, members)))
    assert compiled == compiled_modules(), wheel.name
    # a wheel for this platform, not a pure one
    assert "Root-Is-Purelib: false" in metadata, metadata
    assert not wheel.name.endswith("-none-any.whl"), wheel.name


def test_the_wheel_in_a_fresh_venv_runs_every_accelerator(wheel, tmp_path):
    site, report = install(wheel, tmp_path)
    assert Path(str(report["aioinflux"])).is_relative_to(site), report
    modules = report["modules"]
    assert isinstance(modules, dict)
    assert all(Path(f).is_relative_to(site) for f in modules.values() if f), report
    assert sorted(modules) == compiled_modules()
    assert report["extensions"] == expected_extensions(), report
    assert report["point"] == serialize(POINT).decode()


@pytest.mark.parametrize(
    ("compiler", "compiled"),
    [
        # setuptools compiles with $CC: a compiler that always fails is no compiler at all
        ("/bin/false", False),
        (None, True),
    ],
    ids=["without-compiler", "with-compiler"],
)
def test_the_sdist_installs_with_or_without_a_compiler(sdist, tmp_path, compiler, compiled):
    site, report = install(sdist, tmp_path, **({"CC": compiler} if compiler else {}))
    assert Path(str(report["aioinflux"])).is_relative_to(site), report
    modules = report["modules"]
    assert isinstance(modules, dict)
    if compiled:
        assert all(f and Path(f).is_relative_to(site) for f in modules.values()), report
        assert report["extensions"] == expected_extensions(), report
    else:
        # the pure package: nothing compiled there, nothing in use, the same output
        assert modules == dict.fromkeys(compiled_modules()), report
        assert report["extensions"] == [], report
        assert not [p for p in site.rglob("*") if extension_module(p.name)], report
    assert report["point"] == serialize(POINT).decode()

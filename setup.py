"""Packaging for aioinflux.

The version lives in ``aioinflux/__init__.py`` and is read with ``ast`` (never ``exec``).
Test and tooling dependencies are declared once, in the ``test`` extra, and used by both
README commands, ``.ci/run`` and ``tox.ini``.
"""

import ast
import os
from pathlib import Path

from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent


def read_version() -> str:
    tree = ast.parse((HERE / "aioinflux" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    raise RuntimeError("__version__ not found in aioinflux/__init__.py")


PANDAS = ["pandas>=2.0", "numpy>=1.24"]
# MessagePack answers: smaller than JSON and cheaper for the server to
# produce (benchmarks/query.py compares both)
MSGPACK = ["msgpack>=1.0"]
# DataFrames to line protocol with polars' columnar string kernels (chosen over
# pyarrow.compute by benchmarks/columnar_engines.py), MessagePack answers, and query
# results as polars DataFrames (output='polars' turns the rows into columns with numpy)
FAST = ["polars>=1.0", "numpy>=1.24", *MSGPACK]
# progress=True draws a tqdm bar (in a terminal, and as a widget in Jupyter)
PROGRESS = ["tqdm>=4.60"]
# The documentation: furo (a maintained theme with a dark mode, whose content column shows
# an 88-character code line whole) and copy buttons on examples that leave out the
# ``>>>`` prompts and the output
DOCS = ["sphinx>=7.4", "furo>=2024.8.6", "sphinx-copybutton>=0.5.2"]
# ruff and mypy are pinned: another version may format or judge the same code differently.
TEST = [
    "pytest>=8.3",
    "pytest-asyncio>=1.0",
    "pytest-timeout>=2.3",
    "pytest-cov>=5",
    "hypothesis>=6.100",
    "ruff==0.17.6",
    "mypy==2.4.1",
    # README.rst must render as the package description
    "readme_renderer>=43",
    # tests/test_docs.py runs the Jupyter example in a real IPython kernel
    "ipykernel>=6.29",
    "jupyter_client>=8.6",
    # tests/test_progress.py checks that progress=True is a widget in a notebook
    "ipywidgets>=8",
    # tests/test_wheel.py builds the wheel and the sdist offline (no build isolation) with
    # this setuptools: 70.1 is the first that builds wheels without the `wheel` package
    "setuptools>=70.1",
]

# The compiled fast check of line-protocol text (the pure one in _textcheck.py is the
# reference and the fallback): optional, so that without a C compiler the build goes on and
# installs the pure package. AIOINFLUX_NO_EXTENSIONS=1 builds none.
EXTENSIONS = [
    Extension(
        "aioinflux.serialization._ctextcheck",
        ["aioinflux/serialization/_ctextcheck.c"],
        optional=True,
    ),
    # the compiled encoder of mappings (the pure one in mapping.py is the reference)
    Extension(
        "aioinflux.serialization._cencode",
        ["aioinflux/serialization/_cencode.c"],
        optional=True,
    ),
]
if os.environ.get("AIOINFLUX_NO_EXTENSIONS", "") not in ("", "0"):
    EXTENSIONS = []

setup(
    name="aioinflux",
    version=read_version(),
    description="Asynchronous Python client for InfluxDB",
    long_description=(HERE / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    license="MIT",
    packages=find_packages(include=["aioinflux", "aioinflux.*"]),
    package_data={
        "aioinflux": ["py.typed"],
        "aioinflux.serialization": ["_ctextcheck.pyi", "_cencode.pyi"],
    },
    ext_modules=EXTENSIONS,
    python_requires=">=3.11",
    install_requires=["aiohttp>=3.9", "ciso8601>=2.3"],
    extras_require={
        "pandas": PANDAS,
        "msgpack": MSGPACK,
        "progress": PROGRESS,
        "fast": FAST,
        "docs": DOCS,
        # both DataFrame encoders are tested: the columnar one, and the pure one forced
        "test": TEST + DOCS + PANDAS + FAST + PROGRESS,
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: AsyncIO",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        # each one tested by `bash scripts/test.sh` and .ci/run (tests/test_packaging.py)
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Database",
        "Typing :: Typed",
    ],
)

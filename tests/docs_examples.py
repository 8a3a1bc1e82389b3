"""The ``python`` code blocks of the docs (docs/*.rst and README.rst), and the one harness that
runs them (and examples/quickstart.py) for every test that does.

A block that is intentionally not run is preceded by the RST comment
``.. not executed: <reason>`` (tests/test_docs.py keeps the set of such blocks tiny).
"""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def load_benchmark(name: str) -> Any:
    """``benchmarks/{name}.py`` as a module (whose figures the docs quote), leaving
    ``sys.path`` as it was (a script puts benchmarks/ on it for its own imports)."""
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import does (dataclasses look their module up)
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


_BLOCK = re.compile(r"^(?P<indent> *)\.\. code-block:: python\n\n", re.MULTILINE)
_NOT_EXECUTED = re.compile(r"^ *\.\. not executed: (?P<reason>.+)\n\n\Z", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    """One ``.. code-block:: python`` of a page."""

    page: str  #: the page, relative to docs/ (README: ``'../README.rst'``)
    line: int  #: line number of the first line of code in the page
    indented: str  #: the code as it stands in the page, indented
    not_executed: str | None  #: the reason given when the block is marked as not run

    @property
    def code(self) -> str:
        """The code, dedented."""
        return textwrap.dedent(self.indented)

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def examples(page: str) -> list[Example]:
    """Every ``.. code-block:: python`` of ``docs/<page>``, in order."""
    text = (DOCS / page).read_text()
    found = []
    for match in _BLOCK.finditer(text):
        body_indent = len(match["indent"]) + 4
        lines = []
        for line in text[match.end() :].splitlines():
            if line and not line.startswith(" " * body_indent):
                break
            lines.append(line)
        marker = _NOT_EXECUTED.search(text[: match.start()])
        found.append(
            Example(
                page=page,
                line=text.count("\n", 0, match.end()) + 1,
                indented="\n".join(lines).rstrip(),
                not_executed=marker["reason"] if marker else None,
            )
        )
    return found


def python_examples(page: str) -> list[str]:
    """The code of every ``.. code-block:: python`` of ``docs/<page>``, still indented."""
    return [example.indented for example in examples(page)]


def pages() -> list[str]:
    """Every page with code: docs/*.rst and the README (``'../README.rst'``)."""
    return [*sorted(p.name for p in DOCS.glob("*.rst")), "../README.rst"]


# -- running them: one harness for every test that runs documented code ------------------


def as_coroutine(
    code: str,
    filename: str,
    *,
    params: tuple[str, ...] = ("client",),
    line: int = 1,
    keep_locals: bool = False,
    namespace: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """``code`` (dedented) as the body of ``async def example(*params)``, compiled as a
    user's code (without this package's ``from __future__`` imports) so that tracebacks name
    ``filename`` at the page's own line numbers (``line``: where the code starts). With
    ``keep_locals`` the coroutine returns its local names (to join the page's namespace)."""
    source = "\n" * max(line - 2, 0) + f"async def example({', '.join(params)}):\n"
    source += textwrap.indent(textwrap.dedent(code), "    ")
    if keep_locals:
        source += "\n    return locals()"
    namespace = {} if namespace is None else namespace
    exec(compile(source, filename, "exec", dont_inherit=True), namespace)
    return namespace.pop("example")  # type: ignore[no-any-return]


def run_as_script(code: str, filename: str, namespace: dict[str, Any], *, line: int = 1) -> bool:
    """Run ``code`` (dedented) in ``namespace`` as a script would; False (nothing run) when it
    uses ``await`` at the top level, and must then be run with :func:`as_coroutine`."""
    try:
        compiled = compile(
            "\n" * (line - 1) + textwrap.dedent(code), filename, "exec", dont_inherit=True
        )
    except SyntaxError:
        return False
    exec(compiled, namespace)
    return True


@functools.cache
def quickstart() -> subprocess.CompletedProcess[str]:
    """examples/quickstart.py run once (with warnings as errors), for every test reading it."""
    return subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- every line of code shown, whatever its language ------------------------------------

_CODE_DIRECTIVE = re.compile(r"^ *\.\. (code-block|code|sourcecode)::")


def code_lines(page: str) -> list[tuple[int, str]]:
    """(line number, line) of every non-blank line of code of ``docs/<page>``: the
    ``.. code-block::`` blocks (any language), the literal blocks after a ``::`` paragraph
    and the ``>>>`` doctest blocks (their output included). Tables, prose and the content
    of other directives (notes, toctrees) are not code."""
    lines = (DOCS / page).read_text().splitlines()
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        directive = _CODE_DIRECTIVE.match(line) is not None
        if directive or (line.endswith("::") and not stripped.startswith(".. ")):
            i += 1
            while directive and i < len(lines) and lines[i].strip().startswith(":"):
                i += 1  # the directive's options
            # the block: every line indented more than its introduction, blank ones included
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip(" ")) > indent
            ):
                if lines[i].strip():
                    found.append((i + 1, lines[i]))
                i += 1
        elif stripped.startswith(">>>"):
            # a doctest block runs to the first blank line
            while i < len(lines) and lines[i].strip():
                found.append((i + 1, lines[i]))
                i += 1
        else:
            i += 1
    return found

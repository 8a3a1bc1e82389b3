"""The ``python`` code blocks of the docs (docs/*.rst and README.rst), for tests that run them.

A block that is intentionally not run is preceded by the RST comment
``.. not executed: <reason>`` (tests/test_docs.py keeps the set of such blocks tiny).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

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

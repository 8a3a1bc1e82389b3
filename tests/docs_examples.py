"""The ``python`` code blocks of a page in docs/, for tests that run them."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def python_examples(page: str) -> list[str]:
    """The code of every ``.. code-block:: python`` of ``docs/<page>``, still indented."""
    text = (DOCS / page).read_text()
    examples = []
    for block in text.split(".. code-block:: python\n\n")[1:]:
        lines = []
        for line in block.splitlines():
            if line and not line.startswith("    "):
                break
            lines.append(line)
        examples.append("\n".join(lines).rstrip())
    return examples

"""Sphinx configuration of the aioinflux documentation (built with -W: warnings are errors)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _version() -> str:
    for node in ast.parse((ROOT / "aioinflux" / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__version__":
            return str(ast.literal_eval(node.value))
    raise RuntimeError("no __version__")


project = "aioinflux"
author = "The aioinflux developers"
copyright = "2017-2026, The aioinflux developers"
release = version = _version()

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosectionlabel",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
]
# sections are linked as :ref:`page:Title`; a title used twice in one page is not an error
# (only a link to it would be ambiguous)
autosectionlabel_prefix_document = True
suppress_warnings = ["autosectionlabel.*"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# No network here or in CI: external references are written as plain literals.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
nitpicky = False
# furo: maintained, light and dark (following the reader's system setting), and a content
# column in which an 88-character code line is not cut at 1280 px
# (tests/test_docs_layout.py checks that in Chromium)
html_theme = "furo"
html_title = f"aioinflux {release}"
# a browser asks every site for an icon: without one, each page logs a 404
html_favicon = "_static/favicon.svg"
# the copy button copies the code only: no ``>>>``/``...`` prompts, no output lines
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
exclude_patterns = ["_build"]

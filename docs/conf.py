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

extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# No network here or in CI: external references are written as plain literals.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
nitpicky = False
html_theme = "alabaster"
exclude_patterns = ["_build"]

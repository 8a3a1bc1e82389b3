"""The ``SHOW`` statements the client sends for itself, and their answers parsed.

Rule 1: pure, and free of pandas: ``get_tag_info()`` needs no DataFrame, and
``output='dataframe'`` asks the kinds of the columns it reads (``_frames`` takes them as a
plain mapping).
Rule 2: where an answer is not one thing (a field with two types in two shards, a key that is
a tag and a field), the result says unknown (None), never one of them picked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._sources import Source
from .queries import quote_ident

__all__ = [
    "TAG_INFO_QUERY",
    "ColumnKinds",
    "kinds_from_keys",
    "show_keys_query",
    "tag_info",
    "tags_only",
]

#: What the client knows about a database: ``{measurement: {column: kind}}`` where kind is
#: ``'tag'``, a field type (``'float'``, ``'integer'``, ``'string'``, ``'boolean'``, as
#: ``SHOW FIELD KEYS`` says) or None (a column seen before whose kind is unknown).
ColumnKinds = Mapping[str, Mapping[str, str | None]]

#: What ``get_tag_info()`` asks; :func:`tag_info` reads its answer.
TAG_INFO_QUERY = "SHOW MEASUREMENTS; SHOW TAG VALUES WITH KEY =~ /.*/"


def tag_info(answer: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """``{measurement: {tag_key: [value, ...]}}`` from the answer of :data:`TAG_INFO_QUERY`;
    a measurement without tags maps to ``{}``."""
    measurements, tag_values = answer["results"]
    info: dict[str, dict[str, list[str]]] = {
        row[0]: {} for s in measurements.get("series", ()) for row in s["values"]
    }
    for series in tag_values.get("series", ()):
        tags = info.setdefault(series["name"], {})
        for key, value in series["values"]:
            tags.setdefault(key, []).append(value)
    return info


def show_keys_query(sources: list[Source], default_db: str | None) -> tuple[str, list[str]]:
    """One query asking the tag keys and the field keys of ``sources``, two statements per
    database, and the database of each pair. A source without a database is in
    ``default_db``; without that, it is left out (the query itself cannot run then)."""
    by_db: dict[str, list[str]] = {}
    for source in sources:
        db = source.db or default_db
        if db:
            texts = by_db.setdefault(db, [])
            if source.text() not in texts:
                texts.append(source.text())
    statements = []
    for db, texts in by_db.items():
        where = f"ON {quote_ident(db)} FROM {', '.join(texts)}"
        statements += [f"SHOW TAG KEYS {where}", f"SHOW FIELD KEYS {where}"]
    return "; ".join(statements), list(by_db)


def kinds_from_keys(answer: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """``{measurement: {column: kind}}`` from the answer of :func:`show_keys_query`: kind
    ``'tag'`` or the field's type. Where the answer is not one kind (a field with two types
    in different shards, a key that is a tag and a field, the same measurement in two
    databases read, differently), the kind is None: unknown, never one of them picked."""
    kinds: dict[str, dict[str, str | None]] = {}

    def add(measurement: str, column: str, kind: str | None) -> None:
        known = kinds.setdefault(measurement, {})
        known[column] = kind if known.get(column, kind) == kind else None

    results = list(answer.get("results", ()))
    for tag_keys, field_keys in zip(results[::2], results[1::2], strict=True):
        found: dict[tuple[str, str], str | None] = {}
        for series in tag_keys.get("series", ()):
            for (key,) in series["values"]:
                found[series["name"], key] = "tag"
        for series in field_keys.get("series", ()):
            for key, kind in series["values"]:
                where = (series["name"], key)
                found[where] = kind if found.get(where, kind) == kind else None
        for (measurement, column), kind in found.items():
            add(measurement, column, kind)
    return kinds


def tags_only(kinds: ColumnKinds) -> dict[str, dict[str, str | None]]:
    """Only which columns are tags: for answers whose values carry their own types."""
    return {m: {c: k for c, k in cols.items() if k == "tag"} for m, cols in kinds.items()}

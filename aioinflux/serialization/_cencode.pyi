from collections.abc import Callable, Sequence
from typing import Any

def mappings(
    points: Sequence[dict[str, Any]],
    measurement: str | None,
    extra_tags: dict[str, Any],
    extra_text: bytes,
    factor: int,
    fallback: Callable[[Any, int], str],
    /,
) -> tuple[bytes, list[int] | None] | tuple[str, int] | None: ...

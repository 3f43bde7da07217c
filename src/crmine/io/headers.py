"""Column names for a raw table: the file's headers, made non-empty and unique."""

from __future__ import annotations

RESERVED = ("_source_row", "_read_error")


def unique_headers(headers: list[object]) -> list[str]:
    """Trimmed headers; an empty one becomes ``column_<position>``, a repeat ``<name>_2``.

    The reader's own columns (``_source_row``, ``_read_error``) count as taken, so a source
    column of that name is renamed rather than overwritten.
    """
    seen = {r.lower() for r in RESERVED}
    out: list[str] = []
    for pos, raw in enumerate(headers, start=1):
        base = (str(raw) if raw is not None else "").strip().removeprefix("\ufeff").strip()
        base = base or f"column_{pos}"
        name, k = base, 1
        while name.lower() in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name.lower())
        out.append(name)
    return out

"""Change settings in a ``crmine.toml`` the way a user edits it: in place, comments kept.

A setting already written (or commented out) in its section is replaced on its own line; a
new one goes right under the section header. The result is loaded again before it is
written, so an edit can never leave a file that does not load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from crmine.config._typed import toml_value


def set_settings(path: Path, section: str, **values: Any) -> None:
    """Set ``[section] key = value`` for each keyword in the TOML file at ``path``."""
    from crmine.config import load_config

    text = path.read_text("utf-8")
    header = re.search(rf"^\[{re.escape(section)}\]\s*$", text, re.M)
    if header is None:
        text = text.rstrip("\n") + f"\n\n[{section}]\n"
        header = re.search(rf"^\[{re.escape(section)}\]\s*$", text, re.M)
        assert header is not None
    rest = re.search(r"^\[", text[header.end():], re.M)
    end = header.end() + rest.start() if rest else len(text)
    body = text[header.end():end]
    for key, value in values.items():
        line = f"{key} = {toml_value(value)}"
        pattern = rf"^#?\s*{re.escape(key)}\s*=.*$"
        body, n = re.subn(pattern, lambda _m, line=line: line, body, count=1, flags=re.M)
        if not n:
            body = f"\n{line}" + body
    edited = text[:header.end()] + body + text[end:]
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(edited, encoding="utf-8")
    try:
        load_config(tmp)
    except Exception:
        tmp.unlink()
        raise
    tmp.replace(path)

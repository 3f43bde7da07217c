"""TOML values → the typed fields of a settings section, or a one-line error.

Types are read off the dataclass annotations, so a new setting is validated the moment it is
declared. Supported: bool, int, float, str, Literal[...], tuple[X, ...], dict[str, X], unions
of those, Any (taken as written), and frozen dataclasses for tables inside a section (an alert
rule, a channel), whose fields may take another TOML key with ``metadata={"toml": "from"}``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import fields
from typing import Any, Literal, get_args, get_origin, get_type_hints


class Mismatch(Exception):
    """A value does not fit its type; the message says what was expected."""


def section_fields(cls: type) -> dict[str, Any]:
    """Field name → resolved type hint of a section dataclass."""
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def convert(value: Any, hint: Any) -> Any:
    """``value`` as ``hint`` asks, or Mismatch."""
    origin = get_origin(hint)
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise Mismatch("expected true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise Mismatch("expected a whole number")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise Mismatch("expected a number")
    if hint is str:
        if isinstance(value, str):
            return value
        raise Mismatch("expected text in quotes")
    if origin is Literal:
        choices = get_args(hint)
        if value in choices and type(value) is type(choices[0]):
            return value
        raise Mismatch("expected one of " + ", ".join(json.dumps(c) for c in choices))
    if origin is tuple:
        (item, _ellipsis) = get_args(hint)
        if not isinstance(value, list):
            raise Mismatch(f"expected a list of {describe(item)}")
        try:
            return tuple(convert(v, item) for v in value)
        except Mismatch as exc:
            raise Mismatch(f"expected a list of {describe(item)} ({exc})") from None
    if origin is dict:
        _key, item = get_args(hint)
        if not isinstance(value, dict):
            raise Mismatch(f"expected a table of {describe(item)}")
        try:
            return {str(k): convert(v, item) for k, v in value.items()}
        except Mismatch as exc:
            raise Mismatch(f"expected a table of {describe(item)} ({exc})") from None
    if origin in (typing.Union, types.UnionType):
        for option in get_args(hint):
            try:
                return convert(value, option)
            except Mismatch:
                continue
        raise Mismatch("expected " + " or ".join(describe(o) for o in get_args(hint)))
    if dataclasses.is_dataclass(hint):
        return _record(value, hint)
    raise TypeError(f"unsupported settings type {hint!r}")  # a programming error


def toml_keys(cls: type) -> dict[str, str]:
    """TOML key → field name of a table-valued dataclass (keys differ where Python's can't)."""
    return {f.metadata.get("toml", f.name): f.name for f in fields(cls)}


def _record(value: Any, cls: type) -> Any:
    """A TOML table as an instance of the dataclass ``cls``: known keys only, each typed."""
    if not isinstance(value, dict):
        raise Mismatch(f"expected a table with {', '.join(toml_keys(cls))}")
    keys, hints = toml_keys(cls), section_fields(cls)
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if key not in keys:
            raise Mismatch(f"unknown key {key!r}; known here: {', '.join(keys)}")
        try:
            kwargs[keys[key]] = convert(item, hints[keys[key]])
        except Mismatch as exc:
            raise Mismatch(f"{key} = {toml_value(item)}: {exc}") from None
    required = [k for k, name in keys.items() if _required(cls, name) and name not in kwargs]
    if required:
        raise Mismatch(f"missing {', '.join(required)}")
    return cls(**kwargs)


def _required(cls: type, name: str) -> bool:
    f = next(f for f in fields(cls) if f.name == name)
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def describe(hint: Any) -> str:
    """The kind of value ``hint`` accepts, in words."""
    origin = get_origin(hint)
    if hint is bool:
        return "true or false"
    if hint is int:
        return "whole numbers"
    if hint is float:
        return "numbers"
    if hint is str:
        return "text"
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(c) for c in get_args(hint))
    if origin is tuple:
        return f"a list of {describe(get_args(hint)[0])}"
    if origin is dict:
        return f"a table of {describe(get_args(hint)[1])}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(o) for o in get_args(hint))
    if dataclasses.is_dataclass(hint):
        return "tables with " + ", ".join(toml_keys(hint))
    return "any value"


def toml_value(value: Any) -> str:
    """A value written the way it appears in crmine.toml, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)

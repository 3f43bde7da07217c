"""Map a source's headers onto a canonical table's columns.

Headers are compared after normalisation (full-width → half-width, case, camelCase,
spaces and punctuation ignored) against the synonyms in :mod:`crmine.io.synonyms`. An
exact synonym beats a partial keyword, a longer keyword beats a shorter one, then the
table's column order and the header order decide: the result is deterministic. Every
header that is not mapped is kept as an attribute column with a snake_case ASCII name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from crmine.errors import MappingError
from crmine.io.headers import RESERVED
from crmine.io.synonyms import other_money, synonyms
from crmine.schema import Table

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+|[^\x00-\x7f\W_]+")
_NAMESAKE, _EXACT, _PARTIAL = 3, 2, 1

# Required columns the ingest can build when the source has none (e.g. CDNOW has no order
# number: each record is one order). Listed in ``ColumnMapping.derived`` instead of
# ``unmapped_required``, so the orchestrator knows to generate them.
DERIVABLE: dict[tuple[str, str], str] = {
    ("orders", "order_id"): "generated: one order per customer and order_ts",
    ("feedback", "feedback_id"): "generated: one per row",
}
# Optional columns taken from another mapped column when the source has none of their own:
# baskets often name their items without a code, and the name then is the product's id.
COPIED: dict[tuple[str, str], str] = {("orders", "product_id"): "product_name"}


def tokens(text: str) -> list[str]:
    """The words of a header: NFKC, camelCase split, lower case, punctuation dropped."""
    text = unicodedata.normalize("NFKC", text).strip()
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


def normalise(text: str) -> str:
    """Comparison key: 'Customer ID', 'customer_id', 'ＣｕｓｔｏｍｅｒＩＤ' → 'customerid'."""
    return "".join(tokens(text))


def _is_ascii_word(s: str) -> bool:
    return s.isascii()


def _partial_match(keyword: str, header_tokens: list[str], header_key: str) -> bool:
    kw = tokens(keyword)
    if not kw:
        return False
    if all(_is_ascii_word(t) for t in kw):
        # English compounds are head-final too: "resolved_at" is a time, not a flag.
        return set(kw) <= set(header_tokens) and header_tokens[-1] == kw[-1]
    # Chinese compounds put the head noun last: 收货地区 is a region, 区域经理 a manager.
    return header_key.endswith("".join(kw))


def attribute_name(header: str, position: int) -> str:
    """snake_case name for a kept column, in the header's own words (``会员等级`` stays
    readable in reasons, drivers and cluster labels); ``attr_<position>`` when nothing is
    left."""
    name = "_".join(tokens(header))
    if not name:
        return f"attr_{position}"
    return f"attr_{name}" if name[0].isdigit() else name


@dataclass
class ColumnMapping:
    """Which source header feeds each canonical column, and what the other headers become."""

    table: str
    canonical: dict[str, str]  # canonical column → source header
    attributes: dict[str, str]  # source header → attribute column name
    unmapped_required: list[str]
    headers: list[str] = field(default_factory=list)
    partial: set[str] = field(default_factory=set)  # canonical columns matched by keyword
    derived: dict[str, str] = field(default_factory=dict)  # missing column → how to build it
    refused: dict[str, str] = field(default_factory=dict)  # column → guess refused and why

    @property
    def attribute_headers(self) -> dict[str, str]:
        """Attribute column name → original header text (e.g. Chinese headers)."""
        return {v: k for k, v in self.attributes.items()}

    def describe(self) -> list[str]:
        """One line per header, in file order, for the CLI."""
        by_header = {h: c for c, h in self.canonical.items()}
        lines = []
        for h in self.headers:
            if h in by_header:
                guess = " (by keyword)" if by_header[h] in self.partial else ""
                lines.append(f"{h} → {by_header[h]}{guess}")
            elif h in self.attributes:
                lines.append(f"{h} (kept as attribute {self.attributes[h]})")
        lines += [f"(no column for {c}: {how})" for c, how in self.derived.items()]
        lines += [f"(no column for required {c})" for c in self.unmapped_required]
        return lines


def auto_map(
    headers: list[str],
    table: Table,
    overrides: dict[str, str] | None = None,
    refused: set[tuple[str, str]] | None = None,
) -> ColumnMapping:
    """Map ``headers`` onto ``table``; ``overrides`` maps canonical → header ('' to unmap);
    ``refused`` holds (column, header) guesses whose values were found not to fit."""
    headers = [h for h in headers if h not in RESERVED]
    canonical: dict[str, str] = {}
    blocked: set[str] = set()
    taken: set[str] = set()
    for col, header in (overrides or {}).items():
        if col not in table.column_names:
            raise MappingError(
                f"crmine.toml maps unknown {table.name} column {col!r}; "
                f"columns: {', '.join(table.column_names)}"
            )
        if header == "":
            blocked.add(col)
            continue
        found = _find_header(header, headers)
        if found is None:
            raise MappingError(
                f"crmine.toml maps {table.name}.{col} to {header!r}, which the source does not "
                f"have; headers: {', '.join(headers)}"
            )
        canonical[col] = found
        taken.add(found)
    partial = _match(headers, table, canonical, blocked | set(canonical), taken, refused or set())
    attributes = _attribute_names(headers, table, set(canonical.values()))
    ordered = {c: canonical[c] for c in table.column_names if c in canonical}
    missing = [c for c in table.required if c not in canonical]
    derived = {
        c: DERIVABLE[(table.name, c)]
        for c in table.column_names
        if c not in canonical and c not in blocked and (table.name, c) in DERIVABLE
    }
    derived |= {
        c: f"taken from {source}: names serve as ids"
        for (name, c), source in COPIED.items()
        if name == table.name and c not in canonical and c not in blocked and source in canonical
    }
    missing = [c for c in missing if c not in derived]
    return ColumnMapping(table.name, ordered, attributes, missing, headers, partial, derived)


def _find_header(wanted: str, headers: list[str]) -> str | None:
    if wanted in headers:
        return wanted
    key = normalise(wanted)
    hits = [h for h in headers if normalise(h) == key]
    return hits[0] if len(hits) == 1 else None


def _match(
    headers: list[str],
    table: Table,
    canonical: dict[str, str],
    done: set[str],
    taken: set[str],
    refused: set[tuple[str, str]],
) -> set[str]:
    """Greedy assignment of the best (column, header) pairs; fills ``canonical`` in place."""
    candidates: list[tuple[int, int, int, int, str, str]] = []
    keys = [(h, tokens(h), normalise(h)) for h in headers]
    for ci, col in enumerate(table.column_names):
        if col in done:
            continue
        exact, partial = synonyms(table.name, col)
        exact_keys = {normalise(s) for s in (col, *exact)}
        for hi, (h, toks, key) in enumerate(keys):
            if (col, h) in refused:
                continue
            if key and key == normalise(col):  # a header named like the column itself
                candidates.append((-_NAMESAKE, -len(key), ci, hi, col, h))
                continue
            if key and key in exact_keys:
                candidates.append((-_EXACT, -len(key), ci, hi, col, h))
                continue
            if other_money(col, toks, key):
                continue  # "Refunded Amount" is not the line's amount, by keyword at least
            best = max((len(normalise(k)) for k in partial if _partial_match(k, toks, key)),
                       default=0)
            if best:
                candidates.append((-_PARTIAL, -best, ci, hi, col, h))
    partial_cols: set[str] = set()
    for score, _, _, _, col, h in sorted(candidates):
        if col in canonical or h in taken:
            continue
        canonical[col] = h
        taken.add(h)
        if -score == _PARTIAL:
            partial_cols.add(col)
    return partial_cols


def _attribute_names(headers: list[str], table: Table, mapped: set[str]) -> dict[str, str]:
    used = set(table.column_names) | set(RESERVED)
    out: dict[str, str] = {}
    for pos, h in enumerate(headers, start=1):
        if h in mapped:
            continue
        base = attribute_name(h, pos)
        if base in table.column_names:
            base = f"attr_{base}"
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        out[h] = name
    return out


def require(mapping: ColumnMapping) -> ColumnMapping:
    """Raise ``MappingError`` when a required canonical column has no source header."""
    if not mapping.unmapped_required:
        return mapping
    missing = mapping.unmapped_required
    plural = "s" if len(missing) > 1 else ""
    return_hint = ", ".join(f'{c} = "<header>"' for c in missing)
    refused = "".join(f"; {mapping.refused[c]}" for c in missing if c in mapping.refused)
    raise MappingError(
        f"{mapping.table}: no source column for required field{plural} {', '.join(missing)} "
        f"(headers: {', '.join(mapping.headers) or 'none'}){refused}; name it in crmine.toml under "
        f"[ingest.columns]: {mapping.table} = {{ {return_hint} }}"
    )

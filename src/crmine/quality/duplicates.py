"""Duplicate customers: merge records that share an e-mail or phone, flag look-alikes.

Two records with the same (normalised) e-mail address or phone number are the same
customer; the relation is transitive (A shares an e-mail with B, B a phone with C: one
customer), so the groups are the connected components of the "shares a key" graph.
Each group keeps one survivor, chosen deterministically, whose missing fields are filled
from the other records. Records with similar names in the same city are only *flagged*:
two people can share a name, so a person must decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmine.engine.quoting import quote_identifier
from crmine.errors import MappingError
from crmine.quality.contacts import normalise_name

ID = "customer_id"
SAME_EMAIL = "same email"
SAME_PHONE = "same phone"
SAME_NAME_CITY = "same name and city"
SIMILAR_NAME_CITY = "similar name, same city"

# Rows per rapidfuzz call inside one block: bounds memory to CHUNK x block size scores.
_CHUNK = 2048
_HELPER = "__crmine_"


@dataclass(frozen=True)
class DuplicateResult:
    """Merged customers, the id remapping to apply to other tables, and flagged pairs.

    ``id_map`` has one row per customer id merged into another (old_id, new_id, reason);
    ``likely`` has one row per pair of surviving customers that look alike
    (id_a, id_b, score 0-100, reason). ``ignored_values`` counts e-mails / phones shared
    by more records than ``max_shared`` allows, treated as placeholders and not merged on;
    ``common_names`` counts (city, name) keys held by more than ``max_shared`` customers,
    too common to flag.
    """

    customers: pd.DataFrame = field(repr=False)
    id_map: pd.DataFrame = field(repr=False)
    likely: pd.DataFrame = field(repr=False)
    rows_in: int
    merged_by_email: int
    merged_by_phone: int
    ignored_values: int
    common_names: int

    @property
    def customers_out(self) -> int:
        return len(self.customers)

    @property
    def likely_pairs(self) -> int:
        return len(self.likely)


def find_duplicate_customers(
    customers: pd.DataFrame,
    *,
    name_city_threshold: float = 90,
    max_shared: int = 20,
) -> DuplicateResult:
    """Merge customers sharing an e-mail or phone; flag similar names in the same city.

    ``customers`` needs ``customer_id``; ``email`` and ``phone`` (already normalised),
    ``name``, ``city`` and ``signup_date`` are used when present, other columns are kept.
    Rows repeating a customer_id are merged too (without an id_map entry).

    Survivor of a group: earliest ``signup_date``, then the record with most fields filled,
    then the smallest id. Its missing fields are filled from the others in that order.

    An e-mail or phone shared by more than ``max_shared`` records is a placeholder
    (``noemail@…``, ``+440000000000``), not evidence: it is ignored and counted.

    Likely duplicates: ``rapidfuzz.fuzz.ratio`` of the name keys (case, spaces and
    punctuation removed) at least ``name_city_threshold``, compared only within a block of
    the same city and same first (or same last) character of the name key, once per
    distinct (city, name), so the cost grows with block sizes, not with the square of the
    table. At 90, one typo in a name of 10+ letters passes (``Catherine``/``Katherine
    Jones`` 92.9, ``Jon``/``John Smith`` 94.1); one in 9 letters does not (88.9). A name
    held by more than ``max_shared`` customers of one city is too common to flag.
    Customers without a name or a city are never flagged.
    """
    if ID not in customers.columns:
        raise MappingError("the customers table has no customer_id column")
    frame = customers.reset_index(drop=True)
    labels, ignored, link_keys = _components(frame, max_shared)
    merged, id_map = _merge(frame, labels, link_keys)
    likely, common = _likely_pairs(merged, name_city_threshold, max_shared)
    reasons = id_map["reason"]
    return DuplicateResult(
        customers=merged,
        id_map=id_map,
        likely=likely,
        rows_in=len(frame),
        merged_by_email=int((reasons == SAME_EMAIL).sum()),
        merged_by_phone=int((reasons == SAME_PHONE).sum()),
        ignored_values=ignored,
        common_names=common,
    )


def remap_customer_ids_sql(table: str, id_map_table: str, column: str = ID) -> str:
    """``UPDATE`` statement replacing merged ids in ``table`` by their survivors.

    ``id_map_table`` holds ``old_id`` and ``new_id`` of the same type as ``column``.
    Names may be schema-qualified (``main.orders``); each part must be a plain identifier.
    """
    t, m, c = _qualified(table), _qualified(id_map_table), _qualified(column)
    return f"UPDATE {t} AS t SET {c} = m.new_id FROM {m} AS m WHERE t.{c} = m.old_id"


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _qualified(name: str) -> str:
    """``name``, possibly schema-qualified, with each dotted part quoted.

    Stricter than :func:`quote_identifier`: the caller passes table and column names of
    its own, so anything but plain parts is a mistake worth a clear error.
    """
    parts = name.split(".")
    if not all(_PLAIN.fullmatch(p) for p in parts):
        raise MappingError(f"not a plain SQL table or column name: {name!r}")
    return ".".join(quote_identifier(p) for p in parts)


# --- merging ---------------------------------------------------------------------------------


def _key_codes(values: pd.Series) -> np.ndarray:
    """Factorised key per row, -1 for missing or empty values."""
    present = values.notna() & (values.astype("string").str.strip() != "")
    codes, _ = pd.factorize(values.where(present), use_na_sentinel=True)
    return codes


def _edges(
    codes: np.ndarray, max_shared: int | None
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Star edges (row, first row with the same key) for keys held by 2..max_shared rows,
    the number of keys held by more, and per row whether its key links it to another."""
    valid = codes >= 0
    if not valid.any():
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0, valid
    counts = np.bincount(codes[valid])
    keep = counts >= 2
    ignored = 0
    if max_shared is not None:
        ignored = int((counts > max_shared).sum())
        keep &= counts <= max_shared
    uniq, first = np.unique(codes[valid], return_index=True)
    first_row = np.empty(len(counts), dtype=np.int64)
    first_row[uniq] = np.flatnonzero(valid)[first]
    rows = np.flatnonzero(valid)
    rows = rows[keep[codes[rows]]]
    targets = first_row[codes[rows]]
    linked = rows != targets
    links = np.zeros(len(codes), dtype=bool)
    links[rows] = True
    return rows[linked], targets[linked], ignored, links


def _components(frame: pd.DataFrame, max_shared: int) -> tuple[np.ndarray, int, pd.DataFrame]:
    """Component label per row of the graph linking rows with the same id, e-mail or phone;
    the number of placeholder values ignored; the e-mail / phone values that made links."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    sources, targets, ignored = [], [], 0
    link_keys = pd.DataFrame(index=frame.index)
    for column, limit in ((ID, None), ("email", max_shared), ("phone", max_shared)):
        if column not in frame.columns:
            continue
        a, b, skipped, links = _edges(_key_codes(frame[column]), limit)
        sources.append(a)
        targets.append(b)
        ignored += skipped
        if column != ID:
            link_keys[column] = frame[column].where(links)
    n = len(frame)
    a = np.concatenate(sources) if sources else np.empty(0, dtype=np.int64)
    b = np.concatenate(targets) if targets else np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels, ignored, link_keys


def _merge(
    frame: pd.DataFrame, labels: np.ndarray, link_keys: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = list(frame.columns)
    comp, pos, signup, filled = (f"{_HELPER}{k}" for k in ("comp", "pos", "signup", "filled"))
    in_group = np.bincount(labels)[labels] > 1
    group = frame.loc[in_group].copy()
    group[comp] = labels[in_group]
    group[pos] = np.flatnonzero(in_group)
    if "signup_date" in group.columns:
        group[signup] = pd.to_datetime(group["signup_date"], errors="coerce")
    else:
        group[signup] = pd.NaT
    group[filled] = group[columns].notna().sum(axis=1)
    group = group.sort_values(
        [comp, signup, filled, ID], ascending=[True, True, False, True], na_position="last"
    )
    survivors = group.groupby(comp, sort=False).first()  # first non-null value per column
    survivors[pos] = group.groupby(comp, sort=False)[pos].first()  # the survivor row's position
    survivors[ID] = group.groupby(comp, sort=False)[ID].nth(0).to_numpy()

    singles = frame.loc[~in_group, columns].assign(**{pos: np.flatnonzero(~in_group)})
    merged = pd.concat([singles, survivors[[*columns, pos]]], ignore_index=True)
    merged = merged.sort_values(pos, kind="stable").drop(columns=pos).reset_index(drop=True)
    merged = _restore_dtypes(merged, frame.dtypes)
    # Reasons compare only the values that made links (not placeholders), survivor unfilled.
    links = group[[comp, ID]].join(link_keys)
    heads = links.loc[group.groupby(comp, sort=False).head(1).index].set_index(comp)
    return merged, _id_map(links, heads, comp)


def _restore_dtypes(merged: pd.DataFrame, dtypes: pd.Series) -> pd.DataFrame:
    """Give the merged frame the input dtypes where grouping widened them."""
    changed = {c: t for c, t in dtypes.items() if merged[c].dtype != t}
    for column, dtype in changed.items():
        try:
            merged[column] = merged[column].astype(dtype)
        except (TypeError, ValueError):
            continue  # e.g. int ids with NA: keep the widened type
    return merged


def _id_map(group: pd.DataFrame, survivors: pd.DataFrame, comp: str) -> pd.DataFrame:
    """old_id -> new_id for every merged id, with the key that links it to the group.

    The reason is the key the record shares with the survivor's own record (e-mail first);
    for a record linked only through others, the key it shares within the group.
    """
    new_id = survivors[ID].reindex(group[comp]).to_numpy()
    moved = group[ID].to_numpy() != new_id
    rows = group.loc[moved]
    new_id = new_id[moved]
    shares_email = _same(rows, survivors, comp, "email")
    shares_phone = _same(rows, survivors, comp, "phone")
    email_in_group = _shared_within(rows, group, comp, "email")
    by_email = shares_email | (~shares_phone & email_in_group)
    id_map = pd.DataFrame(
        {
            "old_id": rows[ID].to_numpy(),
            "new_id": new_id,
            "reason": np.where(by_email, SAME_EMAIL, SAME_PHONE),
        }
    )
    # An id repeated over rows appears once; an e-mail link wins over a phone link.
    id_map = id_map.sort_values(["old_id", "reason"], kind="stable")
    return id_map.drop_duplicates("old_id").reset_index(drop=True)


def _same(rows: pd.DataFrame, survivors: pd.DataFrame, comp: str, column: str) -> np.ndarray:
    if column not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    theirs = survivors[column].reindex(rows[comp]).to_numpy(dtype=object)
    mine = rows[column].to_numpy(dtype=object)
    present = rows[column].notna().to_numpy() & pd.notna(theirs)
    equal = np.zeros(len(rows), dtype=bool)
    equal[present] = mine[present] == theirs[present]
    return equal


def _shared_within(rows: pd.DataFrame, group: pd.DataFrame, comp: str, column: str) -> np.ndarray:
    """True where the row's value of ``column`` is held by another row of its group."""
    if column not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    counts = group.groupby([comp, column], dropna=True).size()
    key = pd.MultiIndex.from_arrays([rows[comp], rows[column]])
    return (counts.reindex(key).fillna(0).to_numpy() >= 2) & rows[column].notna().to_numpy()


# --- likely duplicates -----------------------------------------------------------------------


def _likely_pairs(
    customers: pd.DataFrame, threshold: float, max_shared: int
) -> tuple[pd.DataFrame, int]:
    """Pairs of rows whose (city, name) keys are similar, and the number of common names.

    Names are compared once per distinct (city, name) key, then expanded to the rows
    holding them. A name held by more than ``max_shared`` customers of one city (``张伟``
    in Beijing) says nothing about any two of them and is left out.
    """
    empty = pd.DataFrame(
        {"id_a": customers[ID].iloc[:0], "id_b": customers[ID].iloc[:0], "score": [], "reason": []}
    )
    if not {"name", "city"} <= set(customers.columns) or len(customers) < 2:
        return empty, 0
    keys = pd.DataFrame(
        {"city": normalise_name(customers["city"]), "name": normalise_name(customers["name"])}
    )
    keys["row"] = np.arange(len(keys))
    keys = keys.dropna()
    sizes = keys.groupby(["city", "name"]).size().rename("size").reset_index()
    common = int((sizes["size"] > max_shared).sum())
    distinct = sizes[sizes["size"] <= max_shared].reset_index(drop=True)
    distinct["gid"] = np.arange(len(distinct))
    members = keys.merge(distinct[["city", "name", "gid"]], on=["city", "name"])[["gid", "row"]]

    names = distinct["name"].to_numpy(dtype=object)
    cities = distinct["city"].to_numpy(dtype=object)
    found = [
        pd.DataFrame({"a": distinct["gid"], "b": distinct["gid"], "score": 100.0})[
            distinct["size"].to_numpy() >= 2
        ]
    ]
    for position in (0, -1):  # block on city + first character, then city + last character
        edge = np.array([n[position] for n in names], dtype=object)
        found.append(_pairs_in_blocks(names, [cities, edge], threshold))
    groups = pd.concat(found, ignore_index=True).drop_duplicates(["a", "b"])
    rows = groups.merge(members.rename(columns={"gid": "a", "row": "row_a"}), on="a").merge(
        members.rename(columns={"gid": "b", "row": "row_b"}), on="b"
    )
    rows = rows[rows["row_a"] != rows["row_b"]]
    rows = rows.assign(
        lo=np.minimum(rows["row_a"], rows["row_b"]), hi=np.maximum(rows["row_a"], rows["row_b"])
    ).drop_duplicates(["lo", "hi"])
    if rows.empty:
        return empty, common
    rows = rows.sort_values(["lo", "hi"])
    ids = customers[ID].to_numpy()
    score = rows["score"].to_numpy(dtype=float).round(1)
    likely = pd.DataFrame(
        {
            "id_a": ids[rows["lo"].to_numpy()],
            "id_b": ids[rows["hi"].to_numpy()],
            "score": score,
            "reason": np.where(score >= 100, SAME_NAME_CITY, SIMILAR_NAME_CITY),
        }
    )
    return likely, common


def _pairs_in_blocks(names: np.ndarray, keys: list[np.ndarray], threshold: float) -> pd.DataFrame:
    """Pairs (a < b, positions in ``names``) within equal-key blocks scoring >= threshold."""
    from rapidfuzz import fuzz, process

    none = pd.DataFrame({"a": np.empty(0, np.int64), "b": np.empty(0, np.int64), "score": []})
    if len(names) == 0:
        return none
    block = pd.MultiIndex.from_arrays(keys).factorize()[0]
    order = np.argsort(block, kind="stable")
    bounds = np.flatnonzero(np.diff(block[order])) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(order)]])
    big = (ends - starts) >= 2
    out_a, out_b, out_s = [], [], []
    for start, end in zip(starts[big], ends[big], strict=True):
        members = order[start:end]
        choices = names[members].tolist()
        for lo in range(0, len(members), _CHUNK):
            scores = process.cdist(
                choices[lo : lo + _CHUNK],
                choices,
                scorer=fuzz.ratio,
                score_cutoff=threshold,
                dtype=np.float32,
                workers=-1,
            )
            i, j = np.nonzero(scores)
            i += lo
            upper = j > i
            i, j = i[upper], j[upper]
            out_a.append(members[i])
            out_b.append(members[j])
            out_s.append(scores[i - lo, j])
    if not out_a:
        return none
    return pd.DataFrame(
        {"a": np.concatenate(out_a), "b": np.concatenate(out_b), "score": np.concatenate(out_s)}
    )

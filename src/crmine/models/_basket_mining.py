"""Frequent itemsets by level-wise (Apriori) counting on a sparse basket × item matrix.

Level k comes from level k−1 by joining two itemsets that share all but their last item
(P ∪ {a} with P ∪ {b}, a < b): every frequent k-itemset, sorted, is exactly one such join.
All joins of a level are counted at once as one sparse Gram matrix ``Z.T @ Z``, where ``Z``
holds the level's basket membership with one row per (shared prefix, basket), so that only
itemsets of the same prefix meet and the work is proportional to the (basket, candidate)
incidences. Counts are exact, so a join is frequent exactly when its count reaches the
threshold and no candidate pruning is needed. The basket × item matrix is never dense; its
columns hold frequent items only, and large steps run in batches of bounded size.

Each level keeps its itemsets sorted by ``key = prefix_index * n_items + last_item``, which lets
any sorted itemset be looked up with one ``searchsorted`` per item (see :func:`lookup`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

# Budget for one batch of sparse work, in non-zeros of the itemset columns taken: bounds the
# temporary memory (about 60 bytes per non-zero) at no cost in speed.
_BATCH_NNZ = 1_000_000


@dataclass(frozen=True)
class Level:
    """Frequent itemsets of one length, in lexicographic order of their item indices."""

    items: np.ndarray  # (n, k) int64, column indices of frequent items, ascending per row
    counts: np.ndarray  # (n,) int64, baskets containing the itemset
    keys: np.ndarray  # (n,) int64, prefix index * n_items + last item; ascending


def min_count(min_support: float, n_baskets: int) -> int:
    """Smallest basket count whose support ``count / n_baskets`` is ``>= min_support``.

    Computed on the same float division the supports use, so the threshold is exactly
    "support ≥ min_support" (``ceil(min_support * n)`` can be off by one in floating point).
    """
    c = max(int(np.ceil(min_support * n_baskets)), 0)
    while c > 0 and (c - 1) / n_baskets >= min_support:
        c -= 1
    while c / n_baskets < min_support:
        c += 1
    return c


def frequent_item_matrix(
    basket_codes: np.ndarray, item_codes: np.ndarray, n_items: int, threshold: int
) -> tuple[sparse.csr_array, np.ndarray, np.ndarray]:
    """0/1 basket × frequent-item CSR matrix, the frequent items' codes and their counts."""
    from scipy import sparse

    n_baskets = int(basket_codes.max()) + 1
    ones = np.ones(basket_codes.size, dtype=np.int32)
    full = sparse.csr_array((ones, (basket_codes, item_codes)), shape=(n_baskets, n_items))
    full.sum_duplicates()
    full.data[:] = 1
    counts = np.bincount(full.indices, minlength=n_items)
    frequent = np.flatnonzero(counts >= threshold)
    x_csr = full[:, frequent].tocsr()
    x_csr.sort_indices()
    return x_csr, frequent, counts[frequent]


def mine(
    x_csr: sparse.csr_array, item_counts: np.ndarray, threshold: int, max_len: int | None
) -> list[Level]:
    """All itemsets with at least ``threshold`` baskets, as one :class:`Level` per length.

    ``x_csr`` is the 0/1 basket × item matrix (int32) restricted to the frequent items, whose
    counts are ``item_counts``; ``threshold`` ≥ 1.
    """
    n_items = x_csr.shape[1]
    idx = np.arange(n_items, dtype=np.int64)
    levels = [Level(items=idx[:, None], counts=item_counts.astype(np.int64), keys=idx)]
    y_csc = x_csr.tocsc()  # basket membership of the current level's itemsets
    group = np.zeros(n_items, dtype=np.int64)  # itemsets sharing all but their last item
    while n_items and (max_len is None or len(levels) < max_len):
        prev = levels[-1]
        left, right, counts = _extend(y_csc, group, threshold)
        if left.size == 0:
            break
        last = prev.items[right, -1]
        items = np.concatenate([prev.items[left], last[:, None]], axis=1)
        levels.append(Level(items=items, counts=counts, keys=left * n_items + last))
        if max_len is None or len(levels) < max_len:
            y_csc = _members(y_csc, left, right)
            group = left
    return levels


def _extend(
    y_csc: sparse.csc_array, group: np.ndarray, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequent joins of two itemsets i < j of one group: (i, j, count), sorted by (i, j).

    Itemsets i = P ∪ {a} and j = P ∪ {b} (a < b) join into P ∪ {a, b}, found in the baskets of
    both. Counting all joins at once is a Gram matrix ``Z.T @ Z``, where ``Z`` is ``Y`` with one
    row per (group, basket): joins across groups then never meet, and the work is the number
    of (basket, candidate) incidences rather than baskets × itemsets × items.
    """
    from scipy import sparse

    n_sets, n_baskets = y_csc.shape[1], y_csc.shape[0]
    nnz_per_set = np.diff(y_csc.indptr)
    if group[0] == group[-1]:  # one group (e.g. pairs of items): rows are the baskets
        rows, row_keys = y_csc.indices, np.arange(n_baskets, dtype=np.int64) + group[0] * n_baskets
    else:
        row_keys, rows = np.unique(
            np.repeat(group, nnz_per_set) * n_baskets + y_csc.indices, return_inverse=True
        )
    z_csc = sparse.csc_array(
        (np.ones(rows.size, dtype=np.int32), rows.reshape(-1), y_csc.indptr),
        shape=(row_keys.size, n_sets),
    )
    group_end = np.searchsorted(group, group, side="right")
    # A batch of sets [start, stop) only meets sets of its own groups after it (j > i), in
    # rows of those groups: Z is sliced to that block before the product.
    bounds = _batches(nnz_per_set, min(_BATCH_NNZ, max(nnz_per_set.sum() // 8, 1)))
    lefts, rights, counts = [], [], []
    for start, stop in itertools.pairwise(bounds):
        r0, r1 = np.searchsorted(
            row_keys, [group[start] * n_baskets, (group[stop - 1] + 1) * n_baskets]
        )
        block = z_csc[r0:r1, start : group_end[stop - 1]]
        gram = block[:, : stop - start].T @ block.tocsr()
        pos = np.flatnonzero(gram.data >= threshold)
        i = np.searchsorted(gram.indptr, pos, side="right") - 1 + start
        j = gram.indices[pos].astype(np.int64) + start
        upper = j > i
        lefts.append(i[upper])
        rights.append(j[upper])
        counts.append(gram.data[pos[upper]].astype(np.int64))
    left = np.concatenate(lefts)
    right = np.concatenate(rights)
    count = np.concatenate(counts)
    order = np.lexsort((right, left))
    return left[order], right[order], count[order]


def _members(y_csc: sparse.csc_array, left: np.ndarray, right: np.ndarray) -> sparse.csc_array:
    """Basket membership of the joined itemsets: baskets holding both joined itemsets."""
    from scipy import sparse

    nnz = np.diff(y_csc.indptr)
    bounds = _batches(nnz[left] + nnz[right], _BATCH_NNZ)
    parts = [
        _columns(y_csc, left[a:b]).multiply(_columns(y_csc, right[a:b])).tocsc()
        for a, b in itertools.pairwise(bounds)
    ]
    return sparse.hstack(parts, format="csc") if len(parts) > 1 else parts[0]


def _columns(m_csc: sparse.csc_array, cols: np.ndarray) -> sparse.csc_array:
    """Structure of ``m_csc[:, cols]`` (values 1), gathered at once: scipy indexing is slower."""
    from scipy import sparse

    starts = m_csc.indptr[cols].astype(np.int64)
    lengths = m_csc.indptr[cols + 1] - starts
    indptr = np.zeros(cols.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    src = np.arange(indptr[-1], dtype=np.int64) + np.repeat(starts - indptr[:-1], lengths)
    return sparse.csc_array(
        (np.ones(src.size, dtype=np.int8), m_csc.indices[src], indptr),
        shape=(m_csc.shape[0], cols.size),
    )


def _batches(sizes: np.ndarray, budget: int) -> np.ndarray:
    """Boundaries splitting consecutive items into runs of about ``budget`` total size."""
    if sizes.size == 0:
        return np.array([0, 0])
    cum = np.cumsum(sizes)
    cuts = np.searchsorted(cum, np.arange(budget, cum[-1], budget), side="right")
    return np.unique(np.concatenate([[0], cuts, [sizes.size]]))


def lookup(levels: list[Level], itemsets: np.ndarray) -> np.ndarray:
    """Row index, within the level of their length, of sorted frequent ``itemsets`` (m, r)."""
    n_items = levels[0].keys.size
    pos = itemsets[:, 0].astype(np.int64)
    for j in range(1, itemsets.shape[1]):
        pos = np.searchsorted(levels[j].keys, pos * n_items + itemsets[:, j])
    return pos

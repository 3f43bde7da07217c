"""Step: segment migrations, the customers whose RFM segment or cluster changed since the
previous snapshot (``segment_migrations``, alertable like any published table)."""

from __future__ import annotations

from crmine.pipeline.step import StepContext, StepResult, step


@step(
    "segment migrations",
    reads=("customer_scores",),
    history=("customer_scores",),
    writes=("segment_migrations",),
)
def segment_migrations_step(ctx: StepContext) -> StepResult:
    from crmine.features.migrations import move_counts, segment_moves

    now = ctx.read("customer_scores")
    if now is None:
        return StepResult.skipped("no customer scores in this run")
    before = ctx.read_previous("customer_scores")
    if before is None or ctx.previous is None:
        return StepResult.skipped("no earlier snapshot to compare with (the first run)")
    moves = segment_moves(before, now, ctx.previous.run_id, ctx.run_id)
    flows = "; ".join(f"{n:,} {f} → {t}" for _, f, t, n in move_counts(moves, 3))
    detail = (f"{len(moves):,} moves since run {ctx.previous.run_id}"
              + (f" (largest: {flows})" if flows else ""))  # fmt: skip
    return StepResult.done(detail, {"segment_migrations": moves})

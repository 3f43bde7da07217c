"""Step: customer profiles, the contact and place columns the customer card shows (name,
e-mail, phone, city, …), published so that a server or an export reads snapshots only.

Name, e-mail and phone are personal data: the API masks them for viewers and logs every
response that carries them to an analyst (see :mod:`crmine.server`).
"""

from __future__ import annotations

from crmine.pipeline.step import StepContext, StepResult, step

PROFILE_COLUMNS = ("name", "email", "phone", "gender", "birth_date", "city", "region",
                   "country", "signup_date")  # fmt: skip


@step("customer profiles", needs=(("customers",),), writes=("customer_profiles",))
def customer_profiles_step(ctx: StepContext) -> StepResult:
    customers = ctx.inputs.table("customers")
    present = [c for c in PROFILE_COLUMNS if c in customers.columns]
    frame = customers.select("customer_id", *present).to_pandas()
    frame = frame.drop_duplicates("customer_id").reset_index(drop=True)
    schema = customers.schema()
    for c in present:  # dates stay dates (pandas would widen them to timestamps)
        if schema[c].is_date() and hasattr(frame[c], "dt"):
            frame[c] = frame[c].dt.date
    return StepResult.done(
        f"{len(frame):,} customers: {', '.join(present) or 'ids only'}",
        {"customer_profiles": frame},
    )

"""The canonical input tables (DESIGN §3), declared once.

Every reader, cleaner and feature refers to these names; nothing else in the code
spells a canonical column name from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["id", "text", "timestamp", "date", "float", "int", "bool"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    meaning: str
    required: bool = False  # the source must have a column for it
    nullable: bool | None = None  # may a row leave it empty? default: only if not required
    # names or reaches a person (name, e-mail, phone): may be stored as a keyed hash
    personal: bool = False

    @property
    def row_required(self) -> bool:
        """A row without this value cannot be loaded and goes to quarantine."""
        return not self.nullable if self.nullable is not None else self.required


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    # Columns that identify a row for "same row ingested twice" checks, besides the raw values.
    key: tuple[str, ...] = field(default=())

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


C = Column

CUSTOMERS = Table(
    "customers",
    "one row per customer, with whatever attributes the source holds",
    (
        C("customer_id", "id", "the customer's identifier", required=True),
        C("name", "text", "full name", personal=True),
        C("email", "text", "e-mail address, normalised to lower case", personal=True),
        C("phone", "text", "phone number, normalised to E.164", personal=True),
        C("gender", "text", "gender as recorded"),
        C("birth_date", "date", "date of birth"),
        C("city", "text", "city"),
        C("region", "text", "region, province or state"),
        C("country", "text", "country"),
        C("signup_date", "date", "when the customer joined"),
        C("churned", "bool", "contractual churn label; null means unknown (to be predicted)"),
    ),
    key=("customer_id",),
)

ORDERS = Table(
    "orders",
    "one row per order line; negative quantity or a cancelled order marks a return",
    (
        C("order_id", "id", "order or invoice number", required=True),
        C(
            "customer_id",
            "id",
            "who ordered; lines without one are kept for product analytics",
            required=True,
            nullable=True,
        ),
        C("order_ts", "timestamp", "when the order was placed", required=True),
        C("product_id", "id", "product or SKU code"),
        C("product_name", "text", "product description"),
        C("category", "text", "product category"),
        C("quantity", "float", "units on the line; negative for returns"),
        C("unit_price", "float", "price of one unit"),
        C("amount", "float", "line value; quantity × unit_price when absent"),
        C("profit", "float", "the line's profit or gross margin as the source states it "
          "(Superstore's Profit, 毛利): profit-based CLV and value tiers when present"),
        C("currency", "text", "ISO currency code of the amounts"),
        C("amount_original", "float",
          "on lines converted into the workspace currency: the amount as written"),
        C("unit_price_original", "float",
          "on lines converted into the workspace currency: the unit price as written"),
        C("currency_original", "text",
          "on lines converted into the workspace currency: the currency they were written in"),
        C("channel", "text", "sales channel"),
        C("region", "text", "region or country of the order"),
        C("status", "text", "the order's or line's status as written; cancelled, refunded or "
          "returned lines are returns"),
    ),
)

PRODUCTS = Table(
    "products",
    "the catalogue",
    (
        C("product_id", "id", "product or SKU code", required=True),
        C("name", "text", "product name"),
        C("category", "text", "category"),
        C("subcategory", "text", "subcategory"),
        C("brand", "text", "brand"),
        C("price", "float", "list price"),
        C("cost", "float", "unit cost"),
    ),
    key=("product_id",),
)

INTERACTIONS = Table(
    "interactions",
    "service contacts: calls, e-mails, chats, tickets, visits",
    (
        C("customer_id", "id", "who was in contact", required=True),
        C("ts", "timestamp", "when", required=True),
        C("channel", "text", "phone, email, chat, ticket, visit, web, social"),
        C("direction", "text", "inbound or outbound"),
        C("topic", "text", "subject or category of the contact"),
        C("text", "text", "what was said or written"),
        C("duration_s", "float", "duration in seconds"),
        C("resolved", "bool", "whether the issue was resolved"),
    ),
)

FEEDBACK = Table(
    "feedback",
    "reviews and survey answers",
    (
        C("feedback_id", "id", "the source's identifier, generated when absent"),
        # optional: public reviews and survey exports are often anonymous
        C("customer_id", "id", "who gave the feedback; empty for anonymous reviews"),
        # optional: review corpora and exports often carry no date; such feedback is scored
        # (sentiment, topics, NPS) and left out of everything that needs a time
        C("ts", "timestamp", "when; empty for undated feedback"),
        C("kind", "text", "nps, csat, rating or review"),
        C("score", "float", "the numeric answer (0-10 for NPS, 1-5 for ratings)"),
        C("text", "text", "free text"),
        C("order_id", "id", "the order the feedback is about"),
    ),
)

CAMPAIGNS = Table(
    "campaigns",
    "marketing contacts and their outcome",
    (
        C("campaign_id", "id", "campaign identifier", required=True),
        C("customer_id", "id", "who was contacted", required=True),
        C("sent_ts", "timestamp", "when the contact was sent", required=True),
        C("channel", "text", "channel of the contact"),
        C("group", "text", "treatment or control (control: the customer was held out and "
          "not contacted); an arm's name when a campaign tests several treatments"),
        C("responded_ts", "timestamp", "when the customer responded"),
        C("responded", "bool", "whether the customer responded (opened, clicked, visited), for "
          "exports that flag a response instead of timing it"),
        C("converted", "bool", "whether the contact converted"),
        C("revenue", "float", "revenue attributed to the contact"),
    ),
)

SUBSCRIPTIONS = Table(
    "subscriptions",
    "contracts; a null end date means active",
    (
        C("customer_id", "id", "the subscriber", required=True),
        C("start_date", "date", "start of the contract", required=True),
        C("end_date", "date", "end of the contract; null while active"),
        C("plan", "text", "plan name"),
        C("mrr", "float", "monthly recurring revenue"),
        C("cancel_reason", "text", "why it was cancelled"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, ORDERS, PRODUCTS, INTERACTIONS, FEEDBACK, CAMPAIGNS, SUBSCRIPTIONS)
}

#: the customers columns that name or reach a person, which ``[privacy] pseudonymise`` may list
PERSONAL_COLUMNS: tuple[str, ...] = tuple(c.name for c in CUSTOMERS.columns if c.personal)


def table(name: str) -> Table:
    """Look up a canonical table; unknown names get a clear error listing the valid ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown entity {name!r}; expected one of: {', '.join(TABLES)}"
        ) from None

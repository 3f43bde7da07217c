"""Time contact normalisers and find_duplicate_customers on synthetic customers.

Not a test (timings depend on the machine); run by hand:

.venv/bin/python tests/quality/bench_duplicates.py [N]
"""

from __future__ import annotations

import string
import sys
import time

import numpy as np
import pandas as pd

from crmine.quality import find_duplicate_customers, normalise_emails, normalise_phones


def synthetic_customers(n: int, seed: int = 0) -> pd.DataFrame:
    """n customers over 60 cities; 5% re-registered with the same e-mail, 5% with the same
    phone, 2% with another customer's city and name with its last letter changed."""
    rng = np.random.default_rng(seed)
    letters = np.array(list(string.ascii_lowercase))
    first = ["".join(rng.choice(letters, rng.integers(3, 8))).title() for _ in range(300)]
    last = ["".join(rng.choice(letters, rng.integers(4, 10))).title() for _ in range(1000)]
    cities = [f"City {i}" for i in range(60)]
    ids = np.arange(n)
    name = pd.Series(rng.choice(first, n)) + " " + pd.Series(rng.choice(last, n))
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(ids).map("C{:07d}".format),
            "email": pd.Series(ids).map("user{}@example.com".format),
            "phone": pd.Series(7_700_000_000 + ids).map("+44{}".format),
            "name": name,
            "city": rng.choice(cities, n),
            "signup_date": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
        }
    )
    dup_email = rng.choice(n, n // 20, replace=False)
    frame.loc[dup_email, "email"] = frame["email"].to_numpy()[rng.choice(n, len(dup_email))]
    dup_phone = rng.choice(n, n // 20, replace=False)
    frame.loc[dup_phone, "phone"] = frame["phone"].to_numpy()[rng.choice(n, len(dup_phone))]
    typo = rng.choice(n, n // 50, replace=False)
    source = rng.choice(n, len(typo))
    frame.loc[typo, "city"] = frame["city"].to_numpy()[source]
    frame.loc[typo, "name"] = frame["name"].str.slice(0, -1).to_numpy()[source] + "x"
    return frame


def synthetic_chinese_customers(n: int, seed: int = 0) -> pd.DataFrame:
    """n customers with Chinese names drawn from a realistic, narrow name space."""
    rng = np.random.default_rng(seed)
    surnames = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    weight = np.array([7.2, 7.1, 6.8, 5.4, 4.5, 3.1, 2.2, 2.1, 2.0, 1.9] + [1.3] * 10)
    chars = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红")
    given = [a + b for a in chars for b in chars] + chars
    cities = ["北京", "上海", "广州", "深圳", "成都"]
    name = pd.Series(rng.choice(surnames, n, p=weight / weight.sum())) + rng.choice(given, n)
    return pd.DataFrame(
        {
            "customer_id": pd.Series(np.arange(n)).map("C{:07d}".format),
            "name": name,
            "city": rng.choice(cities, n, p=[0.3, 0.3, 0.2, 0.1, 0.1]),
        }
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    if "zh" in sys.argv[2:]:
        customers = synthetic_chinese_customers(n)
        start, cpu = time.perf_counter(), time.process_time()
        result = find_duplicate_customers(customers)
        print(
            f"{n} zh customers in {time.perf_counter() - start:.1f}s wall, "
            f"{time.process_time() - cpu:.1f}s CPU: {result.likely_pairs} likely pairs, "
            f"{result.common_names} names too common to flag"
        )
        return
    customers = synthetic_customers(n)
    raw_phones = customers["phone"].str.replace(r"^\+44", "0", regex=True)  # national format
    for label, fn, column in (
        ("normalise_emails", normalise_emails, customers["email"].str.upper()),
        ("normalise_phones", normalise_phones, raw_phones),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        _, stats = fn(column)
        print(
            f"{label}: {n} rows, {column.nunique()} distinct in "
            f"{time.perf_counter() - start:.1f}s wall, {time.process_time() - cpu:.1f}s CPU ({stats})"
        )
    start, cpu = time.perf_counter(), time.process_time()
    result = find_duplicate_customers(customers)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{n} customers -> {result.customers_out} in {elapsed:.1f}s wall, {cpu:.1f}s CPU: "
        f"{result.merged_by_email} merged by e-mail, {result.merged_by_phone} by phone, "
        f"{result.likely_pairs} likely pairs flagged"
    )


if __name__ == "__main__":
    main()

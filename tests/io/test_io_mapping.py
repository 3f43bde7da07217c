"""auto_map: synonyms, normalisation, priorities, overrides, attributes and errors."""

from __future__ import annotations

import pytest

from crmine.errors import MappingError
from crmine.io.mapping import auto_map, normalise, require
from crmine.schema import table

ORDERS, CUSTOMERS, FEEDBACK = table("orders"), table("customers"), table("feedback")


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Customer ID", "customer_id"), ("CustomerID", "customer_id"), ("cust_id", "customer_id"),
        ("customer", "customer_id"), ("客户ID", "customer_id"), ("客户编号", "customer_id"),
        ("会员ID", "customer_id"), ("InvoiceNo", "order_id"), ("Invoice", "order_id"),
        ("order number", "order_id"), ("order_no", "order_id"), ("订单号", "order_id"),
        ("单号", "order_id"), ("订单编号", "order_id"), ("InvoiceDate", "order_ts"),
        ("order date", "order_ts"), ("date", "order_ts"), ("下单时间", "order_ts"),
        ("订单日期", "order_ts"), ("日期", "order_ts"), ("Quantity", "quantity"),
        ("qty", "quantity"), ("数量", "quantity"), ("UnitPrice", "unit_price"),
        ("Price", "unit_price"), ("单价", "unit_price"), ("amount", "amount"),
        ("sales", "amount"), ("revenue", "amount"), ("total", "amount"), ("金额", "amount"),
        ("销售额", "amount"), ("dollar_value", "amount"), ("StockCode", "product_id"),
        ("SKU", "product_id"), ("item", "product_id"), ("商品编码", "product_id"),
        ("商品ID", "product_id"), ("Description", "product_name"),
        ("product name", "product_name"), ("商品名称", "product_name"),
        ("category", "category"), ("品类", "category"), ("类别", "category"),
        ("分类", "category"), ("Country", "region"),
    ],
)
def test_order_synonyms(header, column):
    assert auto_map([header], ORDERS).canonical == {column: header}


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Churn", "churned"), ("churned", "churned"), ("is_churn", "churned"),
        ("attrition", "churned"), ("Exited", "churned"), ("流失", "churned"),
        ("是否流失", "churned"), ("Country", "country"), ("E-mail", "email"),
        ("邮箱", "email"), ("mobile", "phone"), ("tel", "phone"), ("手机", "phone"),
        ("电话", "phone"), ("姓名", "name"), ("客户名称", "name"), ("sex", "gender"),
        ("性别", "gender"), ("城市", "city"), ("province", "region"), ("state", "region"),
        ("省份", "region"), ("地区", "region"), ("registration date", "signup_date"),
        ("join date", "signup_date"), ("注册时间", "signup_date"), ("birthday", "birth_date"),
        ("出生日期", "birth_date"), ("Date of Birth", "birth_date"),
    ],
)
def test_customer_synonyms(header, column):
    assert auto_map([header], CUSTOMERS).canonical == {column: header}


def test_feedback_and_interaction_synonyms():
    fb = auto_map(["review", "stars", "type", "date", "cust_id"], FEEDBACK).canonical
    assert fb == {"customer_id": "cust_id", "ts": "date", "kind": "type", "score": "stars",
                  "text": "review"}
    zh = auto_map(["评论", "评分", "日期", "用户ID"], FEEDBACK).canonical
    assert zh == {"customer_id": "用户ID", "ts": "日期", "score": "评分", "text": "评论"}
    ia = auto_map(["客户ID", "渠道", "时长", "已解决", "主题", "时间"], table("interactions"))
    assert ia.canonical == {"customer_id": "客户ID", "ts": "时间", "channel": "渠道",
                            "topic": "主题", "duration_s": "时长", "resolved": "已解决"}


@pytest.mark.parametrize("header", ["CUSTOMER_ID", " customer  id ", "ＣｕｓｔｏｍｅｒＩＤ",
                                    "customer-id", "Customer.Id", "customerId"])
def test_matching_ignores_case_width_space_and_punctuation(header):
    assert normalise(header) == "customerid"
    assert auto_map([header], ORDERS).canonical == {"customer_id": header}


def test_exact_beats_partial_and_each_side_used_once():
    m = auto_map(["order date", "ship date", "Date"], ORDERS)
    assert m.canonical == {"order_ts": "order date"}
    m = auto_map(["verified_reviews", "review"], FEEDBACK)
    assert m.canonical["text"] == "review"
    assert "verified_reviews" in m.attributes


def test_chinese_keywords_match_the_head_noun_at_the_end():
    m = auto_map(["收货地区", "区域经理"], CUSTOMERS)
    assert m.canonical == {"region": "收货地区"}
    assert "区域经理" in m.attributes


def test_keyword_match_is_flagged_in_describe():
    m = auto_map(["verified_reviews", "rating", "date", "user"], FEEDBACK)
    assert m.canonical["text"] == "verified_reviews"
    assert "verified_reviews → text (by keyword)" in m.describe()


def test_distinctive_keywords_only():
    m = auto_map(["customerID", "PhoneService", "TotalCharges", "StreamingTV"], CUSTOMERS)
    assert m.canonical == {"customer_id": "customerID"}
    assert m.attributes == {"PhoneService": "phone_service", "TotalCharges": "total_charges",
                            "StreamingTV": "streaming_tv"}


def test_deterministic_regardless_of_header_order():
    headers = ["Price", "UnitPrice", "amount", "InvoiceNo", "CustomerID", "InvoiceDate"]
    a = auto_map(headers, ORDERS)
    b = auto_map(list(reversed(headers)), ORDERS)
    assert a.canonical == b.canonical
    assert a.canonical["unit_price"] == "UnitPrice"  # the longer exact synonym wins


def test_attribute_names_are_unique_readable_and_never_canonical_or_internal():
    headers = ["id", "tenure", "Tenure ", "区域经理", "2023 sales", "_source_row", "city",
               "City", "会员等级"]
    m = auto_map(headers, CUSTOMERS)
    names = list(m.attributes.values())
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and not n.startswith("_") and " " not in n for n in names)
    assert not set(names) & set(CUSTOMERS.column_names)
    assert m.canonical["city"] == "city"
    assert m.attributes["City"] == "attr_city"
    assert m.attributes["区域经理"] == "区域经理"
    assert m.attribute_headers[m.attributes["会员等级"]] == "会员等级"
    assert m.attributes["2023 sales"] == "attr_2023_sales"
    assert "_source_row" not in m.attributes  # the reader's own column is not a header


def test_overrides_set_and_unmap():
    headers = ["Buchungsdatum", "Kunde", "Beleg", "date"]
    m = auto_map(headers, ORDERS, {"order_ts": "Buchungsdatum", "customer_id": "Kunde",
                                   "order_id": "beleg"})
    assert m.canonical == {"order_id": "Beleg", "customer_id": "Kunde",
                           "order_ts": "Buchungsdatum"}
    assert m.attributes["date"] == "date"
    m = auto_map(["InvoiceNo", "CustomerID", "InvoiceDate", "Country"], ORDERS, {"region": ""})
    assert "region" not in m.canonical and m.attributes["Country"] == "country"


def test_override_errors():
    with pytest.raises(MappingError, match="'Buchungsdatum', which the source does not have"):
        auto_map(["date"], ORDERS, {"order_ts": "Buchungsdatum"})
    with pytest.raises(MappingError, match="unknown orders column 'when'"):
        auto_map(["date"], ORDERS, {"when": "date"})


def test_require_names_field_headers_and_fix():
    m = auto_map(["Kunde", "Buchungsdatum", "InvoiceNo"], ORDERS)
    assert m.unmapped_required == ["customer_id", "order_ts"]
    with pytest.raises(MappingError) as err:
        require(m)
    msg = str(err.value)
    assert "\n" not in msg
    assert "customer_id, order_ts" in msg and "Kunde, Buchungsdatum, InvoiceNo" in msg
    section, _, line = msg.rpartition("[ingest.columns]: ")
    assert section and line == 'orders = { customer_id = "<header>", order_ts = "<header>" }'
    # the hint is what the settings template uses: pasted under its section, it loads
    import tomllib

    from crmine.config import parse_config

    pasted = tomllib.loads(f"[ingest.columns]\n{line}\n")
    assert parse_config(pasted).ingest.columns["orders"]["order_ts"] == "<header>"
    ok = auto_map(["InvoiceNo", "CustomerID", "InvoiceDate"], ORDERS)
    assert require(ok) is ok


def test_order_id_can_be_derived():
    m = auto_map(["customer_id", "date", "number_of_cds", "dollar_value"], ORDERS)
    assert m.unmapped_required == []
    assert "order_id" in m.derived
    assert any(line.startswith("(no column for order_id") for line in m.describe())


def test_item_names_serve_as_product_ids_only_without_a_code():
    m = auto_map(["会员编号", "小票号", "购买日期", "商品名称"], ORDERS)
    assert m.canonical["order_id"] == "小票号" and m.canonical["product_name"] == "商品名称"
    assert "product_id" in m.derived and "product_id" not in m.canonical
    coded = auto_map(["Member", "Receipt", "Date", "SKU", "Item Name"], ORDERS)
    assert coded.canonical["order_id"] == "Receipt" and "product_id" not in coded.derived
    assert "product_id" not in auto_map(["customer_id", "order_ts"], ORDERS).derived


def test_describe_lines():
    m = auto_map(["InvoiceNo", "Country", "tenure"], ORDERS)
    lines = m.describe()
    assert "InvoiceNo → order_id" in lines
    assert "Country → region" in lines
    assert "tenure (kept as attribute tenure)" in lines
    assert "(no column for required customer_id)" in lines


def test_superstore_export_prefers_a_header_named_like_the_column():
    headers = ["Row ID", "Order ID", "Order Date", "Ship Date", "Customer ID", "Country",
               "Region", "Product ID", "Category", "Sub-Category", "Product Name", "Sales",
               "Quantity", "Discount", "Profit"]
    m = auto_map(headers, ORDERS)
    assert m.canonical == {"order_id": "Order ID", "customer_id": "Customer ID",
                           "order_ts": "Order Date", "product_id": "Product ID",
                           "product_name": "Product Name", "category": "Category",
                           "quantity": "Quantity", "amount": "Sales", "profit": "Profit",
                           "region": "Region"}
    assert m.attributes["Country"] == "country"


def test_taobao_style_chinese_order_export():
    headers = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "订单创建时间",
               "订单付款时间", "商品标题", "宝贝种类", "商品数量", "省份"]
    m = require(auto_map(headers, ORDERS))
    assert m.canonical == {"order_id": "订单编号", "customer_id": "买家会员名",
                           "order_ts": "订单创建时间", "product_name": "商品标题",
                           "category": "宝贝种类", "quantity": "商品数量",
                           "amount": "买家实际支付金额", "region": "省份",
                           "status": "订单状态"}  # 交易关闭 / 退款 there mark returns


def test_english_keywords_must_be_the_head_word():
    m = auto_map(["customer_id", "created_at", "resolved_at", "is_resolved"],
                 table("interactions"))
    assert m.canonical["resolved"] == "is_resolved"
    assert m.attributes["resolved_at"] == "resolved_at"


CAMPAIGNS = table("campaigns")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Campaign ID", "Customer ID", "Sent Date", "Channel", "Group", "Opened", "Converted",
          "Revenue"],
         {"campaign_id": "Campaign ID", "customer_id": "Customer ID", "sent_ts": "Sent Date",
          "channel": "Channel", "group": "Group", "responded": "Opened",
          "converted": "Converted", "revenue": "Revenue"}),
        (["campaign", "customer", "date", "treatment", "visit", "conversion", "spend",
          "responded_at"],
         {"campaign_id": "campaign", "customer_id": "customer", "sent_ts": "date",
          "group": "treatment", "responded": "visit", "converted": "conversion",
          "revenue": "spend", "responded_ts": "responded_at"}),
        (["活动编号", "客户编号", "发送时间", "渠道", "分组", "是否响应", "是否转化", "金额",
          "响应时间"],
         {"campaign_id": "活动编号", "customer_id": "客户编号", "sent_ts": "发送时间",
          "channel": "渠道", "group": "分组", "responded": "是否响应", "converted": "是否转化",
          "revenue": "金额", "responded_ts": "响应时间"}),
    ],
)
def test_campaign_export_headers_map_in_english_and_chinese(headers, expected):
    mapping = auto_map(headers, CAMPAIGNS)
    assert mapping.canonical == expected
    assert not mapping.unmapped_required


def test_line_item_headers_of_a_storefront_export_map():
    m = auto_map(["Name", "Email", "Lineitem quantity", "Lineitem name", "Lineitem price",
                  "Lineitem sku", "Created at"], table("orders"))  # fmt: skip
    assert m.canonical["quantity"] == "Lineitem quantity"
    assert m.canonical["product_name"] == "Lineitem name"
    assert m.canonical["unit_price"] == "Lineitem price"


@pytest.mark.parametrize("header", ["Refunded Amount", "Discount Amount", "Tax Amount",
                                    "Shipping Price", "退款金额", "运费金额"])
def test_a_header_naming_another_sum_of_money_is_no_keyword_guess(header):
    m = auto_map(["order id", "customer id", "date", header], table("orders"))
    assert "amount" not in m.canonical and "unit_price" not in m.canonical
    assert header in m.attributes


def test_a_status_header_is_a_keyword_guess_for_the_order_status():
    m = auto_map(["order id", "customer id", "date", "Financial Status"], table("orders"))
    assert m.canonical["status"] == "Financial Status" and "status" in m.partial

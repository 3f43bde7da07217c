"""Header synonyms per canonical column, in English and Chinese.

``EXACT`` names match a whole header (after normalisation: case, width, spaces and
punctuation ignored). ``PARTIAL`` keywords match when all their words occur in a header
("verified_reviews" holds "reviews") or, for Chinese, when the header ends with them. Keep
partial keywords distinctive: "phone" is not one, or telco's ``PhoneService`` would become
the customer's phone number.
"""

from __future__ import annotations

# Shared by every table that has the column.
_COMMON: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer_id": (
        ("customer id", "customerid", "cust id", "cust no", "customer", "customer no",
         "customer number", "customer code", "client id", "client", "member id", "member no",
         "user id", "userid", "account id", "buyer id", "contact id", "shopper id",
         "reviewer id", "author id", "username", "user name", "screen name", "author",
         "客户id", "客户编号", "客户号", "客户代码", "客户", "会员id", "会员编号", "会员号",
         "会员卡号", "用户id", "用户编号", "买家id", "顾客id", "顾客编号", "买家会员名",
         "会员名", "买家昵称", "买家账号"),
        ("customer id", "cust id", "client id", "member id", "user id", "客户id", "客户编号",
         "会员id", "会员编号", "用户id"),
    ),
    "order_id": (
        ("order id", "orderid", "invoice no", "invoiceno", "invoice", "invoice id",
         "invoice number", "order number", "order no", "orderno", "order", "transaction id",
         "receipt no", "receipt id", "receipt number", "receipt", "ticket no", "ticket id",
         "basket id", "basket", "transaction", "transaction no", "transaction number",
         "bill no", "bill number", "订单号", "单号", "订单编号", "订单id", "订单", "发票号",
         "交易号", "交易编号", "流水号", "小票号", "小票编号", "小票", "票号", "单据号",
         "单据编号", "销售单号", "交易单号"),
        ("order id", "order no", "order number", "invoice no", "订单号", "订单编号"),
    ),
    "product_id": (
        ("product id", "productid", "stockcode", "stock code", "sku", "sku id", "item",
         "item id", "item code", "item no", "product code", "article", "article no",
         "asin", "goods id", "商品编码", "商品id", "商品编号", "产品编码", "产品id", "产品编号",
         "货号", "sku编码", "物料编码"),
        ("product id", "product code", "item id", "stock code", "sku", "商品编码", "商品id",
         "产品编码"),
    ),
    "product_name": (
        ("description", "product name", "productname", "product", "item name",
         "item description", "product description", "goods name", "商品名称", "商品名",
         "商品", "产品名称", "产品名", "产品", "品名", "商品描述", "商品标题", "宝贝标题",
         "宝贝名称", "lineitem name", "line item name", "line item"),
        ("product name", "item name", "商品名称", "产品名称"),
    ),
    "category": (
        ("category", "product category", "cat", "categories", "department", "product type",
         "item category", "品类", "类别", "分类", "类目", "商品类别", "商品分类", "产品类别",
         "宝贝种类", "种类"),
        ("category", "品类", "类别", "分类", "类目"),
    ),
    "quantity": (
        ("quantity", "qty", "units", "unit count", "number of items", "number of cds",
         "count", "pieces", "amount of items", "数量", "件数", "购买数量", "销量"),
        ("quantity", "qty", "数量"),
    ),
    "unit_price": (
        ("unit price", "unitprice", "price", "price each", "item price", "sale price",
         "lineitem price", "line item price", "单价", "价格", "售价", "商品单价", "成交价"),
        ("unit price", "price", "单价"),
    ),
    "profit": (
        ("profit", "gross profit", "line profit", "margin", "gross margin", "margin amount",
         "毛利", "利润", "毛利润", "毛利额"),
        ("profit", "毛利", "利润"),
    ),
    "amount": (
        ("amount", "sales", "revenue", "total", "total amount", "line total", "order total",
         "total price", "total sales", "sales amount", "order amount", "value",
         "dollar value", "net amount", "gross amount", "payment", "金额", "销售额", "总价",
         "总金额", "订单金额", "实付金额", "成交金额", "付款金额", "实付"),
        ("amount", "revenue", "sales", "金额", "销售额"),
    ),
    "currency": (("currency", "currency code", "ccy", "币种", "货币"), ("currency", "币种")),
    "channel": (
        ("channel", "sales channel", "source", "medium", "platform", "渠道", "销售渠道",
         "来源", "平台"),
        ("channel", "渠道"),
    ),
    "name": (
        ("name", "full name", "customer name", "client name", "member name", "contact name",
         "姓名", "客户名称", "客户姓名", "会员姓名", "名称", "用户名"),
        ("full name", "customer name", "姓名"),
    ),
    "email": (
        ("email", "e mail", "email address", "mail", "电子邮件", "邮箱", "电子邮箱", "邮件"),
        ("email", "e mail", "邮箱"),
    ),
    "phone": (
        ("phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell",
         "cellphone", "contact number", "手机", "手机号", "手机号码", "电话", "电话号码",
         "联系电话", "联系方式"),
        ("phone number", "mobile", "telephone", "手机", "电话"),
    ),
    "gender": (("gender", "sex", "性别"), ("gender", "性别")),
    "birth_date": (
        ("birth date", "birthdate", "birthday", "date of birth", "dob", "born", "出生日期",
         "生日", "出生年月"),
        ("birth", "birthday", "出生", "生日"),
    ),
    "city": (("city", "town", "城市", "所在城市", "市"), ("city", "城市")),
    "region": (
        ("region", "province", "state", "area", "county", "territory", "省份", "省", "地区",
         "区域", "大区"),
        ("province", "省份", "地区", "区域"),
    ),
    "country": (("country", "nation", "country code", "国家", "国家地区"), ("country", "国家")),
    "signup_date": (
        ("signup date", "sign up date", "signup", "registration date", "registration",
         "registered", "register date", "join date", "joined", "date joined", "created",
         "created at", "customer since", "member since", "dt customer", "date joined",
         "enrollment date", "enrolment date", "enrolled", "注册时间", "注册日期", "入会时间",
         "开户日期", "加入时间"),
        ("signup", "registration", "registered", "join date", "注册"),
    ),
    "churned": (
        ("churn", "churned", "is churn", "is churned", "churn flag", "churn label",
         "attrition", "attrited", "exited", "left", "流失", "是否流失", "已流失", "流失标记"),
        ("churn", "attrition", "流失"),
    ),
    "ts": (
        ("timestamp", "ts", "date", "datetime", "time", "date time", "created", "created at",
         "created time", "review date", "submitted", "submitted at", "response date",
         "contact date", "call date", "date opened", "opened", "opened at", "open date",
         "created date", "creation date", "ticket date", "日期", "时间", "创建时间",
         "提交时间", "评论时间", "评价时间", "联系时间"),
        ("date", "time", "created", "timestamp", "日期", "时间"),
    ),
    "text": (
        ("text", "review", "reviews", "comment", "comments", "content", "message", "body",
         "review text", "feedback text", "notes", "note", "remark", "remarks", "verbatim",
         "description", "details",
         "评论", "内容", "评价", "评价内容", "评论内容", "留言", "备注", "文本", "反馈内容"),
        ("review", "reviews", "comment", "text", "message", "description", "评论", "内容",
         "评价"),
    ),
    "score": (
        ("score", "rating", "ratings", "stars", "star rating", "nps", "nps score", "csat",
         "grade", "评分", "分数", "星级", "打分", "满意度"),
        ("rating", "score", "stars", "评分", "星级"),
    ),
    "kind": (("kind", "type", "feedback type", "survey type", "类型", "反馈类型"), ()),
    "feedback_id": (
        ("feedback id", "review id", "comment id", "response id", "survey id", "tweet id",
         "ticket id", "反馈id", "评论id", "评价id"),
        ("review id", "feedback id"),
    ),
    "direction": (("direction", "inbound outbound", "方向", "呼叫方向"), ()),
    "topic": (
        ("topic", "subject", "reason", "category", "issue", "issue type", "主题", "话题",
         "事由", "问题类型"),
        ("topic", "subject", "主题"),
    ),
    "duration_s": (
        ("duration", "duration s", "duration sec", "duration seconds", "call duration",
         "handle time", "length", "时长", "通话时长", "持续时间"),
        ("duration", "时长"),
    ),
    "resolved": (
        ("resolved", "is resolved", "solved", "resolution", "fixed", "已解决", "是否解决",
         "解决"),
        ("resolved", "解决"),
    ),
    "price": (("price", "list price", "unit price", "价格", "售价", "单价"), ("price", "价格")),
    "cost": (("cost", "unit cost", "cost price", "成本", "成本价", "进价"), ("cost", "成本")),
    "brand": (("brand", "make", "manufacturer", "品牌"), ("brand", "品牌")),
    "subcategory": (("subcategory", "sub category", "子类", "子分类", "二级类目"), ()),
    "campaign_id": (
        ("campaign id", "campaign", "campaign code", "活动id", "活动编号", "活动"),
        ("campaign", "活动"),
    ),
    "sent_ts": (("sent", "sent at", "sent date", "send time", "发送时间"), ("sent", "发送")),
    "group": (("group", "variant", "arm", "test group", "分组", "组别"), ()),
    "responded_ts": (("responded", "response time", "responded at", "响应时间"), ()),
    "converted": (("converted", "conversion", "is converted", "转化", "是否转化"), ()),
    "revenue": (("revenue", "sales", "amount", "收入", "金额"), ()),
    "start_date": (("start date", "start", "begin date", "开始日期", "开始时间"), ()),
    "end_date": (("end date", "end", "cancel date", "结束日期", "结束时间"), ()),
    "plan": (("plan", "plan name", "tier", "package", "套餐", "计划"), ()),
    "mrr": (("mrr", "monthly revenue", "monthly fee", "月费", "月收入"), ()),
    "cancel_reason": (("cancel reason", "churn reason", "取消原因", "退订原因"), ()),
}

# Per-table differences from the shared lists.
_TABLE_EXTRA: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # Reviews and tweets rarely carry a customer number; the author's name or handle is
    # the only key to who wrote them.
    "feedback": {
        "customer_id": (
            (*_COMMON["customer_id"][0], "name", "user", "handle", "reviewer", "reviewer name",
             "author name", "用户", "昵称", "用户昵称"),
            _COMMON["customer_id"][1],
        ),
    },
    "orders": {
        "status": (
            ("status", "order status", "line status", "state of order", "transaction status",
             "订单状态", "状态", "交易状态", "订单状况"),
            ("status", "order status", "订单状态", "交易状态"),
        ),
        "order_ts": (
            ("order date", "order ts", "invoice date", "invoicedate", "order time",
             "order datetime", "date", "datetime", "timestamp", "purchase date",
             "transaction date", "created", "created at", "time", "下单时间", "订单日期",
             "日期", "下单日期", "订单时间", "交易时间", "购买时间", "支付时间", "成交时间",
             "付款时间", "时间", "订单创建时间", "创建时间"),
            ("order date", "invoice date", "purchase date", "date", "下单", "日期", "时间"),
        ),
        "region": (
            ("region", "country", "market", "province", "state", "area", "地区", "国家",
             "区域", "省份"),
            ("country", "region"),
        ),
    },
    "interactions": {
        "channel": (
            ("channel", "contact channel", "medium", "contact type", "via", "渠道",
             "联系渠道", "方式"),
            ("channel", "渠道"),
        ),
    },
    # Campaign exports: a send per row, with the arm and the outcome flags of the send.
    "campaigns": {
        "campaign_id": (
            ("campaign id", "campaign", "campaign code", "campaign name", "campaign no",
             "offer id", "promotion id", "活动id", "活动编号", "活动", "活动名称", "营销活动",
             "营销活动id", "活动代码"),
            ("campaign", "活动"),
        ),
        "sent_ts": (
            ("sent", "sent at", "sent date", "sent time", "send date", "send time", "date sent",
             "contact date", "contacted at", "mailing date", "date", "发送时间", "发送日期",
             "触达时间", "推送时间", "日期"),
            ("sent", "发送", "触达"),
        ),
        "channel": (
            ("channel", "contact channel", "medium", "渠道", "触达渠道", "推送渠道"),
            ("channel", "渠道"),
        ),
        "group": (
            ("group", "variant", "arm", "test group", "treatment", "treatment group",
             "control group", "test control", "ab group", "cell", "分组", "组别", "实验组",
             "实验分组", "对照组"),
            ("group", "分组"),
        ),
        "responded_ts": (
            ("responded at", "response time", "response date", "responded date", "response ts",
             "opened at", "clicked at", "响应时间", "回复时间", "打开时间", "点击时间"),
            (),
        ),
        "responded": (
            ("responded", "response", "is response", "visit", "visited", "opened", "open",
             "clicked", "click", "is opened", "is clicked", "是否响应", "响应", "是否打开",
             "打开", "是否点击", "点击", "是否访问", "访问"),
            (),
        ),
        "converted": (
            ("converted", "conversion", "is converted", "purchased", "bought", "accepted",
             "转化", "是否转化", "是否购买", "成交", "是否成交"),
            (),
        ),
        "revenue": (
            ("revenue", "spend", "sales", "amount", "conversion value", "收入", "金额",
             "消费金额", "成交金额"),
            (),
        ),
    },
    "products": {
        "name": (
            ("name", "product name", "description", "item name", "title", "商品名称",
             "产品名称", "名称", "品名"),
            ("product name", "名称"),
        ),
    },
}


def synonyms(table: str, column: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(exact names, partial keywords) for one canonical column of one table."""
    extra = _TABLE_EXTRA.get(table, {})
    if column in extra:
        return extra[column]
    return _COMMON.get(column, ((column.replace("_", " "),), ()))


#: words that make a money header mean another sum than the line's value or price: a
#: "Refunded Amount" or "Discount Amount" ends in "amount" but is not what the line sold for
OTHER_MONEY_WORDS = frozenset({
    "refund", "refunded", "refunds", "discount", "discounts", "tax", "taxes", "vat",
    "shipping", "freight", "delivery", "fee", "fees", "tip", "deposit", "balance",
    "outstanding", "due", "cost", "commission", "coupon", "退款", "折扣", "优惠", "税",
    "税额", "运费", "邮费", "手续费", "成本", "佣金",
})
#: the columns a keyword guess must not take such a header for
MONEY_COLUMNS = ("amount", "unit_price", "revenue")


def other_money(column: str, header_tokens: list[str], header_key: str) -> bool:
    """A header a keyword would take for ``column`` but that names another sum of money."""
    if column not in MONEY_COLUMNS:
        return False
    return bool(set(header_tokens) & OTHER_MONEY_WORDS) or any(
        w in header_key for w in OTHER_MONEY_WORDS if not w.isascii())

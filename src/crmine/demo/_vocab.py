"""Word lists the generator draws from: names, places, products and feedback phrases.

Data only, no logic. Lists are tuples so that the draws are reproducible across runs.
"""

from __future__ import annotations

# Common Chinese surnames with their pinyin (used to build e-mail addresses).
CN_SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
)

# Characters common in given names, with pinyin.
CN_GIVEN: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"),
    ("刚", "gang"), ("桂", "gui"), ("英", "ying"), ("华", "hua"), ("玉", "yu"),
    ("文", "wen"), ("建", "jian"), ("国", "guo"), ("红", "hong"), ("海", "hai"),
    ("晓", "xiao"), ("婷", "ting"), ("雪", "xue"), ("宇", "yu"), ("浩", "hao"),
    ("欣", "xin"), ("佳", "jia"), ("怡", "yi"), ("子", "zi"), ("梓", "zi"),
    ("涵", "han"), ("轩", "xuan"), ("博", "bo"), ("思", "si"), ("雨", "yu"),
    ("嘉", "jia"), ("俊", "jun"), ("鑫", "xin"), ("琳", "lin"), ("晨", "chen"),
)

EN_FIRST_M: tuple[str, ...] = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
    "Thomas", "Daniel", "Matthew", "Andrew", "Oliver", "George", "Harry", "Jack",
    "Charlie", "Samuel", "Benjamin", "Henry", "Edward", "Lucas", "Ethan", "Ryan",
    "Alexander", "Christopher", "Anthony", "Mark", "Paul", "Steven", "Kevin", "Brian",
    "Jacob", "Noah", "Liam", "Mason", "Logan", "Nathan", "Adam", "Peter",
)
EN_FIRST_F: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Susan", "Jessica", "Sarah",
    "Karen", "Emily", "Olivia", "Amelia", "Isla", "Sophie", "Grace", "Chloe",
    "Emma", "Hannah", "Lucy", "Charlotte", "Megan", "Laura", "Rachel", "Anna",
    "Ava", "Mia", "Ella", "Zoe", "Ruby", "Lily", "Holly", "Alice",
    "Victoria", "Rebecca", "Natalie", "Julia", "Helen", "Claire", "Amy", "Kate",
)
EN_LAST: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Taylor", "Davies", "Wilson",
    "Evans", "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes",
    "Edwards", "Green", "Hall", "Wood", "Harris", "Clarke", "Jackson", "Turner",
    "Miller", "Davis", "Martin", "Anderson", "Moore", "Allen", "Young", "King",
    "Scott", "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Parker", "Collins",
    "Lewis", "Robinson", "Harrison", "Morris", "Cooper", "Ward", "Bell", "Murphy",
    "Bailey", "Cook", "Kelly", "Richardson", "Cox", "Howard", "Bennett", "Griffiths",
    "Lee", "Marshall", "Owen", "Russell", "Palmer", "Fisher", "Mason", "Holmes",
    "Rogers", "Stevens", "Gray", "Shaw", "Lloyd", "Ellis", "Knight", "Price",
    "Hunt", "Reid", "Graham", "Fox", "Webb", "Barker", "Butler", "Watson",
    "Chapman", "Dixon", "Hart", "Spencer", "Mills", "Foster", "Powell", "Reynolds",
    "Gibson", "Hughes-Jones", "Riley", "Pearson", "Burton", "Lawrence", "Ross", "Hayes",
)

# (city, region, weight). Chinese places are written in Chinese, as a Chinese CRM holds them.
CN_PLACES: tuple[tuple[str, str, float], ...] = (
    ("上海", "上海市", 10), ("北京", "北京市", 10), ("广州", "广东", 7), ("深圳", "广东", 7),
    ("杭州", "浙江", 5), ("南京", "江苏", 4), ("苏州", "江苏", 4), ("成都", "四川", 5),
    ("重庆", "重庆市", 4), ("武汉", "湖北", 4), ("西安", "陕西", 3), ("天津", "天津市", 3),
    ("长沙", "湖南", 3), ("郑州", "河南", 3), ("青岛", "山东", 2), ("济南", "山东", 2),
    ("厦门", "福建", 2), ("福州", "福建", 2), ("合肥", "安徽", 2), ("沈阳", "辽宁", 2),
)
UK_PLACES: tuple[tuple[str, str, float], ...] = (
    ("London", "England", 10), ("Manchester", "England", 3), ("Birmingham", "England", 3),
    ("Leeds", "England", 2), ("Bristol", "England", 2), ("Edinburgh", "Scotland", 2),
    ("Glasgow", "Scotland", 2), ("Cardiff", "Wales", 1),
)
# US places carry the area code used for landline numbers.
US_PLACES: tuple[tuple[str, str, float, str], ...] = (
    ("New York", "NY", 8, "212"), ("Los Angeles", "CA", 5, "213"),
    ("San Francisco", "CA", 3, "415"), ("Chicago", "IL", 4, "312"), ("Boston", "MA", 2, "617"),
    ("Seattle", "WA", 2, "206"), ("Houston", "TX", 3, "713"), ("Miami", "FL", 2, "305"),
)

# Chinese mobile prefixes (China Mobile, Unicom, Telecom).
CN_MOBILE_PREFIXES: tuple[str, ...] = (
    "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "182", "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133",
    "153", "180", "181", "189",
)
UK_MOBILE_PREFIXES: tuple[str, ...] = ("75", "77", "78", "79")

EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "China": ("qq.com", "163.com", "126.com", "sina.com", "gmail.com"),
    "United Kingdom": ("gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk"),
    "United States": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com"),
}

# How the country is spelled in the customers export (first spelling is the canonical one).
COUNTRY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "China": ("中国", "China", "CN"),
    "United Kingdom": ("United Kingdom", "UK", "英国"),
    "United States": ("United States", "USA", "美国"),
}

ACQUISITION_CHANNELS: tuple[str, ...] = ("web", "app", "wechat", "store", "referral")

# Categories: (english, chinese, list-price median in CNY, consumable repurchase cycle days or 0,
#              items as (english, chinese)).
CATEGORIES: tuple[tuple[str, str, float, int, tuple[tuple[str, str], ...]], ...] = (
    ("Tea & Coffee", "茶与咖啡", 68, 30, (
        ("Green Tea", "绿茶"), ("Oolong Tea", "乌龙茶"), ("Jasmine Tea", "茉莉花茶"),
        ("Black Tea", "红茶"), ("Pu'er Tea", "普洱茶"), ("Coffee Beans", "咖啡豆"),
        ("Drip Coffee", "挂耳咖啡"), ("Instant Coffee", "速溶咖啡"))),
    ("Snacks", "零食", 25, 0, (
        ("Dried Mango", "芒果干"), ("Mixed Nuts", "每日坚果"), ("Beef Jerky", "牛肉干"),
        ("Seaweed Crisps", "海苔脆"), ("Sunflower Seeds", "瓜子"), ("Mooncake", "月饼"),
        ("Chocolate", "巧克力"), ("Rice Crackers", "米饼"))),
    ("Skincare", "护肤", 180, 60, (
        ("Face Cream", "面霜"), ("Cleanser", "洁面乳"), ("Sunscreen", "防晒霜"),
        ("Serum", "精华液"), ("Toner", "爽肤水"), ("Sheet Mask", "面膜"),
        ("Lip Balm", "润唇膏"), ("Eye Cream", "眼霜"))),
    ("Home & Kitchen", "家居厨房", 120, 0, (
        ("Rice Cooker", "电饭煲"), ("Chopping Board", "砧板"), ("Tea Set", "茶具"),
        ("Storage Box", "收纳盒"), ("Bath Towel", "浴巾"), ("Pillow", "枕头"),
        ("Wok", "炒锅"), ("Vacuum Flask", "保温杯"))),
    ("Electronics", "数码电子", 600, 0, (
        ("Phone Case", "手机壳"), ("Charger", "充电器"), ("Earbuds", "耳机"),
        ("Power Bank", "充电宝"), ("Smart Watch", "智能手表"), ("USB Cable", "数据线"),
        ("Bluetooth Speaker", "蓝牙音箱"), ("Keyboard", "键盘"))),
    ("Clothing", "服装", 220, 0, (
        ("T-Shirt", "T恤"), ("Hoodie", "卫衣"), ("Jeans", "牛仔裤"), ("Down Jacket", "羽绒服"),
        ("Socks", "袜子"), ("Scarf", "围巾"), ("Dress", "连衣裙"), ("Sneakers", "运动鞋"))),
    ("Books", "图书", 45, 0, (
        ("Novel", "小说"), ("Cookbook", "菜谱"), ("Children's Book", "童书"),
        ("Travel Guide", "旅游指南"), ("History Book", "历史读物"), ("Notebook", "笔记本"),
        ("Comic", "漫画"), ("Dictionary", "词典"))),
    ("Toys", "玩具", 150, 0, (
        ("Building Blocks", "积木"), ("Puzzle", "拼图"), ("Plush Toy", "毛绒玩具"),
        ("Model Car", "模型车"), ("Board Game", "桌游"), ("Kite", "风筝"),
        ("Doll", "娃娃"), ("Drone", "无人机"))),
    ("Pet Supplies", "宠物用品", 90, 30, (
        ("Cat Food", "猫粮"), ("Dog Food", "狗粮"), ("Cat Litter", "猫砂"),
        ("Pet Shampoo", "宠物香波"), ("Chew Toy", "磨牙玩具"), ("Pet Bed", "宠物窝"),
        ("Treats", "宠物零食"), ("Leash", "牵引绳"))),
    ("Baby", "母婴", 130, 45, (
        ("Diapers", "纸尿裤"), ("Baby Wipes", "婴儿湿巾"), ("Formula Milk", "奶粉"),
        ("Baby Bottle", "奶瓶"), ("Baby Lotion", "婴儿润肤乳"), ("Bib", "围兜"),
        ("Teether", "牙胶"), ("Stroller Fan", "推车风扇"))),
)
BRANDS: tuple[tuple[str, str], ...] = (
    ("Orchid", "兰芝坊"), ("Pacific", "太平洋"), ("Nordic", "北欧"), ("Lotus", "莲花"),
    ("Panda", "熊猫"), ("Summit", "峰顶"), ("Jade", "玉石"), ("Harbour", "港湾"),
)

# Feedback phrases by language and true sentiment label. A text is two phrases joined.
REVIEW_PHRASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("zh", "positive"): (
        "质量很好", "物流很快", "非常满意", "包装精美", "性价比很高", "会回购的",
        "客服态度很好", "和描述的一样", "超出预期", "推荐购买",
    ),
    ("zh", "neutral"): (
        "还行吧", "一般般", "中规中矩", "物流速度一般", "价格还可以", "和预期差不多",
        "没什么特别的", "凑合用",
    ),
    ("zh", "negative"): (
        "质量太差了", "物流太慢了", "非常失望", "用了两天就坏了", "客服态度很差",
        "和描述不符", "退货很麻烦", "不会再买了", "包装破损", "要求退款",
    ),
    ("en", "positive"): (
        "Great quality", "Fast delivery", "Very happy with it", "Lovely packaging",
        "Excellent value for money", "Will buy again", "Friendly customer service",
        "Exactly as described", "Better than expected", "Highly recommend",
    ),
    ("en", "neutral"): (
        "It's okay", "Average product", "Does the job", "Delivery was fine",
        "Price is reasonable", "About what I expected", "Nothing special", "Fine for now",
    ),
    ("en", "negative"): (
        "Poor quality", "Delivery was very late", "Really disappointed",
        "Broke after two days", "Rude customer service", "Not as described",
        "Returning it was a hassle", "Will not buy again", "Arrived damaged",
        "I want a refund",
    ),
}

# Interaction topics: (topic, chinese text, english text).
TOPICS: tuple[tuple[str, str, str], ...] = (
    ("delivery", "请问我的订单什么时候发货？", "Where is my order? It has not arrived yet."),
    ("refund", "我想申请退款。", "I would like a refund for my last order."),
    ("product", "这个产品怎么使用？", "How do I use this product?"),
    ("account", "我无法登录我的账户。", "I cannot log in to my account."),
    ("billing", "我被重复扣款了。", "I was charged twice for one order."),
    ("complaint", "我要投诉，服务太差了。", "I want to complain, the service was terrible."),
)

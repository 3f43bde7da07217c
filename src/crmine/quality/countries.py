"""Country names, codes and Chinese names → one ISO 3166 code and one English name.

CRM exports spell the same country many ways (``中国``, ``China``, ``CN``, ``PRC``); a
phone number written without its country code can only be read with the right region.
Unknown spellings are left as they are (never guessed).
"""

from __future__ import annotations

import unicodedata

import pandas as pd

# ISO code → (English name, other spellings)
_COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CN": (
        "China",
        (
            "中国",
            "中华人民共和国",
            "PRC",
            "People's Republic of China",
            "Mainland China",
            "中国大陆",
        ),
    ),
    "HK": ("Hong Kong", ("香港", "Hong Kong SAR", "中国香港")),
    "TW": ("Taiwan", ("台湾", "中国台湾")),
    "MO": ("Macao", ("澳门", "Macau")),
    "GB": (
        "United Kingdom",
        (
            "UK",
            "U.K.",
            "Great Britain",
            "Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
            "英国",
            "GBR",
        ),
    ),
    "US": (
        "United States",
        ("USA", "U.S.A.", "U.S.", "United States of America", "America", "美国"),
    ),
    "CA": ("Canada", ("加拿大",)),
    "AU": ("Australia", ("澳大利亚", "澳洲")),
    "NZ": ("New Zealand", ("新西兰",)),
    "IE": ("Ireland", ("EIRE", "爱尔兰", "Republic of Ireland")),
    "FR": ("France", ("法国",)),
    "DE": ("Germany", ("Deutschland", "德国")),
    "NL": ("Netherlands", ("Holland", "The Netherlands", "荷兰")),
    "BE": ("Belgium", ("比利时",)),
    "ES": ("Spain", ("España", "西班牙")),
    "PT": ("Portugal", ("葡萄牙",)),
    "IT": ("Italy", ("Italia", "意大利")),
    "CH": ("Switzerland", ("瑞士",)),
    "AT": ("Austria", ("奥地利",)),
    "SE": ("Sweden", ("瑞典",)),
    "NO": ("Norway", ("挪威",)),
    "DK": ("Denmark", ("丹麦",)),
    "FI": ("Finland", ("芬兰",)),
    "PL": ("Poland", ("波兰",)),
    "GR": ("Greece", ("希腊",)),
    "JP": ("Japan", ("日本",)),
    "KR": ("South Korea", ("Korea", "Republic of Korea", "韩国")),
    "SG": ("Singapore", ("新加坡",)),
    "MY": ("Malaysia", ("马来西亚",)),
    "TH": ("Thailand", ("泰国",)),
    "IN": ("India", ("印度",)),
    "AE": ("United Arab Emirates", ("UAE", "阿联酋")),
    "SA": ("Saudi Arabia", ("沙特阿拉伯",)),
    "IL": ("Israel", ("以色列",)),
    "BR": ("Brazil", ("巴西",)),
    "RU": ("Russia", ("Russian Federation", "俄罗斯")),
    "ZA": ("South Africa", ("RSA", "南非")),
}


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


_LOOKUP: dict[str, str] = {}
for _code, (_name, _others) in _COUNTRIES.items():
    for _spelling in (_code, _name, *_others):
        _LOOKUP[_key(_spelling)] = _code


def country_codes(values: pd.Series) -> pd.Series:
    """ISO 3166 alpha-2 code per value (NA when the spelling is not known)."""
    distinct = pd.Series(values.dropna().unique())
    codes = {v: _LOOKUP.get(_key(str(v))) for v in distinct}
    return values.map(codes).astype("string")


def unify_countries(values: pd.Series) -> pd.Series:
    """Known spellings replaced by the English name; unknown ones kept as they are."""
    codes = country_codes(values)
    names = codes.map({c: n for c, (n, _) in _COUNTRIES.items()}).astype("string")
    return names.fillna(values.astype("string"))

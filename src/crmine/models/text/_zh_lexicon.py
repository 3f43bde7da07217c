"""A small hand-written Chinese sentiment lexicon with negation, used as domain-general features.

Written from general usage (not extracted from any corpus), so it carries to product categories the
n-gram model never saw. Counting is vectorised with Arrow regex kernels: no per-text Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _words(text: str) -> list[str]:
    return text.split()


POSITIVE = _words(
    """
好 很好 不错 满意 喜欢 推荐 值得 实惠 划算 便宜 超值 物美价廉 好用 好看 好吃 好喝 新鲜 正品 舒服 舒适
漂亮 精美 精致 清晰 流畅 快速 迅速 及时 方便 耐用 结实 给力 赞 棒 完美 优秀 出色 满分 惊喜 放心 贴心
热情 周到 耐心 专业 干净 整洁 安静 宽敞 柔顺 清香 香甜 甜 可口 合身 合适 到位 稳定 省心 靠谱 信赖
支持 感谢 谢谢 开心 愉快 高兴 五星 好评 回购 再来 还会 一如既往 性价比高 物超所值 非常好 挺好 很满意
"""
)

NEGATIVE = _words(
    """
差 很差 太差 垃圾 失望 后悔 退货 退款 坑 骗 假货 山寨 劣质 破 坏 坏了 烂 烂了 臭 难吃 难闻 难用 难看
慢 太慢 贵 太贵 不值 吵 脏 旧 破旧 生锈 变质 发霉 过期 漏 漏水 卡顿 死机 发热 发烫 掉色 起球 开线 褪色
粗糙 廉价 刺鼻 头皮屑 瘙痒 过敏 麻烦 糟糕 恶心 郁闷 生气 无语 投诉 差评 忽悠 欺骗 敷衍 冷漠 态度差
不满 缺货 少发 漏发 发错 破损 压坏 磨损 小气 发霉了 干瘪 噪音 异味 毛病 问题 故障 闪退 黑屏 bug
"""
)

NEGATORS = ["不", "没", "没有", "无", "别", "未", "不是", "不太", "不怎么", "一点也不", "一点都不"]
_NEG_WINDOW = 2  # characters between a negator and the word it flips ("不太满意", "没有很好")


def _alternation(words: list[str]) -> str:
    """Regex alternation, longest first so "很满意" wins over "满意"."""
    return "|".join(sorted(set(words), key=len, reverse=True))


_NEG = f"(?:{_alternation(NEGATORS)}).{{0,{_NEG_WINDOW}}}"
_POS = f"(?:{_alternation(POSITIVE)})"
_NEGW = f"(?:{_alternation(NEGATIVE)})"


def lexicon_features(texts: pd.Series) -> np.ndarray:
    """Per text: [positive, negative, negated positive, negated negative] hit counts, log1p-scaled.

    ``texts`` must be normalised (NFKC, lower case); negated hits are counted separately so a
    downstream model can learn that "不满意" is negative and "没毛病" positive.
    """
    s = texts.astype("str")
    pos = s.str.count(_POS).to_numpy(dtype=np.float64, na_value=0)
    neg = s.str.count(_NEGW).to_numpy(dtype=np.float64, na_value=0)
    npos = s.str.count(_NEG + _POS).to_numpy(dtype=np.float64, na_value=0)
    nneg = s.str.count(_NEG + _NEGW).to_numpy(dtype=np.float64, na_value=0)
    feats = np.column_stack([pos - npos, neg - nneg, npos, nneg])
    return np.log1p(np.clip(feats, 0, None))

"""A hand-written Chinese sentiment lexicon with negation and contrast, used as domain-general features.

Written from general usage of Chinese review language (not extracted from any corpus), so it carries
to product categories the n-gram model never saw. Besides whole-text counts, it scores the part of a
review that usually carries the verdict: the clause after the last turn word (但是, 不过, 可惜 ...)
and the last clause. Counting is vectorised with pandas string kernels: no per-text Python loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _words(text: str) -> list[str]:
    return text.split()


POSITIVE = _words(
    """
好 很好 挺好 不错 挺不错 满意 很满意 喜欢 推荐 值得 实惠 划算 便宜 超值 物美价廉 好用 好看 好吃 好喝
好闻 新鲜 正品 舒服 舒适 漂亮 精美 精致 清晰 流畅 快速 迅速 及时 方便 耐用 结实 给力 赞 棒 完美 优秀
出色 满分 惊喜 放心 贴心 热情 周到 耐心 专业 干净 整洁 安静 宽敞 明亮 柔顺 清香 香甜 甜 可口 合身
合适 到位 稳定 省心 靠谱 信赖 支持 感谢 谢谢 开心 愉快 高兴 五星 好评 回购 再来 还会 一如既往 性价比高
物超所值 非常好 优惠 实用 适合 喜爱 爱 温馨 舒心 满足 值 超赞 点赞 好评如潮 完好 无损 灵敏 顺滑 细腻
柔软 光滑 饱满 时尚 大方 得体 上档次 有档次 高端 大气 美观 清爽 蓬松 滋润 营养 醇厚 浓郁 香浓 鲜美
美味 够味 正宗 地道 实在 诚信 守信 负责 认真 细心 礼貌 友好 亲切 殷勤 便捷 快捷 神速 准时 准确 一流
顶级 超级好 特别好 相当好 极好 良好 完善 齐全 丰富 丰盛 充足 足够 高效 省电 静音 好使 顺手 称心 如意
理想 好感 欣慰 感动 幸福 享受 惬意 放松 推荐购买 值得购买 值得信赖 值得入住 下次还 还会再 会回购 继续支持
一直支持 必须好评 赞一个 好好 很棒 超棒 棒棒 不错哦 挺喜欢 很喜欢 超喜欢 特别喜欢 非常喜欢 物流快 发货快
速度快 很快 挺快 包装好 质量好 效果好 服务好 态度好 位置好 环境好 经济 划得来 值了 没得说 无可挑剔 有效
见效 明显改善 改善 清凉 去屑 止痒 好评价 实惠价 方便快捷 如期 神器 利索 顺利 满意度高 可爱 必备 良品
高大上 健康 快乐 心动 功能全 爽 很爽 舒坦 营养丰富 口感好 口感不错 味道好 味道不错 香 很香 手感好
手感不错 给好评 没毛病 无差评 放心购买 信得过 大品牌 老牌子 一直用 一直在用 会继续 继续购买 还会买 再次购买
囤货
"""
)

NEGATIVE = _words(
    """
差 很差 太差 极差 超差 差劲 垃圾 失望 很失望 太失望 后悔 退货 退款 换货 坑 坑人 坑爹 骗 骗人 骗子
假货 假的 山寨 劣质 破 坏 坏了 烂 烂了 臭 难吃 难闻 难用 难看 难受 慢 太慢 很慢 贵 太贵 偏贵 不值
吵 太吵 吵闹 脏 很脏 脏乱 旧 破旧 陈旧 老旧 生锈 变质 发霉 霉 过期 漏 漏水 漏电 卡顿 死机 发热 发烫
掉色 起球 开线 褪色 脱线 粗糙 廉价 刺鼻 头皮屑 瘙痒 痒 过敏 麻烦 糟糕 恶心 郁闷 生气 气人 无语 投诉
差评 忽悠 欺骗 敷衍 冷漠 态度差 不满 缺货 少发 漏发 发错 破损 压坏 磨损 小气 干瘪 噪音 杂音 异味 怪味
毛病 问题 故障 闪退 黑屏 bug 缺点 不足 遗憾 可惜 不爽 不舒服 不满意 不好 不行 不能用 没法用 用不了
不灵 失灵 不耐用 不值得 不推荐 不建议 不合适 不新鲜 不正宗 不好吃 不好用 不好看 不清楚 太小 太大 偏小
偏大 太薄 太硬 太软 太少 太短 太长 太差劲 差差 稀 稀烂 碎 碎了 裂 裂了 裂缝 划痕 瑕疵 污渍 污点 掉漆
松动 变形 断 断了 歪 缩水 起皱 扎 勒 闷 湿 潮湿 发黄 发黑 蟑螂 老鼠 蚊子 霉味 烟味 臭味 异响 嘈杂
拥挤 狭小 简陋 昏暗 热水不热 没热水 停水 停电 断网 掉线 慢吞吞 拖延 延迟 迟迟 迟到 久等 等了 催 催了
耽误 浪费 白费 冤枉 上当 受骗 上当受骗 黑心 奸商 无良 坑钱 宰客 乱收费 加价 涨价 降价了 差价 保价 不退
拒绝 推脱 推诿 踢皮球 不理 不回复 没人管 没人理 没反应 态度恶劣 恶劣 粗鲁 凶 傲慢 不耐烦 爱理不理 不负责
不专业 不靠谱 不诚信 不守信 虚假 虚标 夸大 不符 不一致 不一样 描述不符 货不对板 以次充好 二手 翻新 返修
维修 售后差 退换 索赔 赔偿 倒霉 晦气 悲剧 坑货 鸡肋 一般 一般般 凑合 马马虎虎 勉强 将就 还行吧 不怎么样
不咋地 不咋样 没用 无效 没效果 没什么效果 效果不好 效果差 越用越 掉发 脱发 干枯 打结 油腻 发痒 刺激 疼
痛 晕 头疼 头晕 卡死 重启 慢死 耗电 费电 烫手 续航差 信号差 屏幕差 音质差 做工差 质量差 服务差 物流慢
发货慢 太坑 差极了 坑死 气死 烦 烦人 讨厌 烂透 最差 最烂 再也不 不会再 不再 别买 千万别 慎买 慎重 劝
拉黑 以后不 下次不 不敢 担心 怀疑 疑似 不像 不是正品 假冒 仿冒 水货 害怕 闹肚子 拉肚子 肚子疼 繁琐 单调
偏色 洒 洒了 漏了 假 不知道是不是 难 不值这个价 不划算 被坑 智商税 没法 无法 不能 退 换 客服 售后
太慢了 没到 还没到 没收到 丢件 丢了 少了 缺 缺少 空的 空瓶 打开过 用过的 二次销售 不好闻 味道怪 有味
刺激性
"""
)

NEGATORS = ["不", "没", "没有", "无", "别", "未", "不是", "不太", "不怎么", "一点也不", "一点都不", "并不",
            "毫不", "从不", "绝不", "不够", "不算", "不会", "没什么", "谈不上", "算不上"]  # fmt: skip
# turn words: the verdict usually follows them ("质量不错，但是物流太慢")
TURNS = ["但是", "但", "不过", "可是", "可惜", "然而", "只是", "就是", "唯一", "遗憾的是", "美中不足",
         "却", "偏偏", "结果", "谁知", "没想到", "总之", "总的来说", "总体来说", "总体", "综上"]  # fmt: skip
INTENSIFIERS = ["很", "非常", "太", "特别", "超", "超级", "十分", "极", "极其", "真", "真的", "相当",
                "好", "挺", "蛮", "最", "巨", "贼", "实在", "严重", "完全", "根本"]  # fmt: skip
_NEG_WINDOW = 2  # characters between a negator and the word it flips ("不太满意", "没有很好")
_CLAUSE_END = r"[，,。.！!？?；;~～…\s]"


def _alternation(words: list[str]) -> str:
    """Regex alternation, longest first so "很满意" wins over "满意"."""
    return "|".join(sorted(set(words), key=len, reverse=True))


_NEG = f"(?:{_alternation(NEGATORS)}).{{0,{_NEG_WINDOW}}}"
_POS = f"(?:{_alternation(POSITIVE)})"
_NEGW = f"(?:{_alternation(NEGATIVE)})"
_INT = f"(?:{_alternation(INTENSIFIERS)})"
# the text after the last turn word (empty when there is none)
_AFTER_TURN = f"(?:{_alternation(TURNS)})((?:(?!{_alternation(TURNS)}).)*)$"
# the last clause that holds any text
_LAST_CLAUSE = f"([^，,。.！!？?；;~～…\\s]+){_CLAUSE_END}*$"

N_FEATURES = 14


def _counts(s: pd.Series) -> np.ndarray:
    """[positive, negative, negated positive, negated negative] hit counts of each text."""
    pos = s.str.count(_POS).to_numpy(dtype=np.float64, na_value=0)
    neg = s.str.count(_NEGW).to_numpy(dtype=np.float64, na_value=0)
    npos = s.str.count(_NEG + _POS).to_numpy(dtype=np.float64, na_value=0)
    nneg = s.str.count(_NEG + _NEGW).to_numpy(dtype=np.float64, na_value=0)
    return np.clip(np.column_stack([pos - npos, neg - nneg, npos, nneg]), 0, None)


def _polarity(c: np.ndarray) -> np.ndarray:
    """Signed balance of a count block: (positive + negated negative) - (negative + negated positive)."""
    return c[:, 0] + c[:, 3] - c[:, 1] - c[:, 2]


def lexicon_features(texts: pd.Series) -> np.ndarray:
    """Per text, log1p-scaled where counts (``N_FEATURES`` columns):

    0-3 whole text: positive, negative, negated positive, negated negative hits;
    4-5 intensified positive / negative hits ("非常满意", "太差");
    6-9 the same four counts after the last turn word (zero when there is none);
    10-11 signed polarity (tanh) of the clause after the last turn word and of the last clause;
    12 whether the text has a turn word; 13 signed polarity (tanh) of the whole text.

    ``texts`` must be normalised (NFKC, lower case); negated hits are counted separately so a
    downstream model can learn that "不满意" is negative and "没毛病" positive.
    """
    s = texts.astype("str")
    whole = _counts(s)
    ipos = s.str.count(_INT + _POS).to_numpy(dtype=np.float64, na_value=0)
    ineg = s.str.count(_INT + _NEGW).to_numpy(dtype=np.float64, na_value=0)
    after = s.str.extract(_AFTER_TURN, expand=False)
    has_turn = after.notna().to_numpy()
    tail = _counts(after.fillna("").astype("str"))
    last = _counts(s.str.extract(_LAST_CLAUSE, expand=False).fillna("").astype("str"))
    logc = np.log1p(np.column_stack([whole, ipos, ineg, tail]))
    signed = np.tanh(np.column_stack([_polarity(tail), _polarity(last)]))
    return np.column_stack(
        [logc, signed, has_turn.astype(np.float64), np.tanh(_polarity(whole) / 2)]
    )

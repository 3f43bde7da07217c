"""Hand-written English rules that complement the VADER valence lexicon for customer feedback.

VADER was built on social-media text; product reviews and service messages express much of their
negativity through events rather than emotion words ("stopped working", "sent it back"). These
entries are written from general knowledge of complaints, not fitted to any evaluation set.
Valences use VADER's scale (about -4 … +4).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Negators (VADER's list, apostrophes optional) and the scope they reach within a clause.
NEGATORS = _words(
    """aint arent cannot cant couldnt darent didnt doesnt dont hadnt hasnt havent isnt mightnt
    mustnt neither neednt never none nope nor not nothing nowhere oughtnt shant shouldnt wasnt
    werent without wont wouldnt no"""
)
NEGATION_SCOPE = 3  # tokens after a negator that it flips
NEGATION_FACTOR = -0.74  # VADER's N_SCALAR: "not good" is milder than "bad"

BOOST = 0.293  # VADER's B_INCR
BOOSTERS = _words(
    """absolutely amazingly awfully completely considerably decidedly deeply enormously entirely
    especially exceptionally extremely fully greatly highly hugely incredibly intensely
    particularly purely quite really remarkably so substantially thoroughly totally tremendously
    unbelievably utterly very super"""
)
DAMPENERS = _words(
    "almost barely hardly kinda less marginally occasionally partly slightly somewhat sorta"
)

# "X but Y": the clause after the contrast word carries the verdict.
CONTRAST = _words("but however")
BEFORE_CONTRAST, AFTER_CONTRAST = 0.5, 1.5

# Negativity weighting (Taboada et al. 2011, SO-CAL): reviews lean positive in wording, so a
# negative expression carries more information than a positive one of the same lexicon strength.
NEGATIVE_WEIGHT = 1.5

# Irrealis markers (SO-CAL): sentiment words after them in the same clause describe expectations
# or wishes, not experience ("should work", "I wish it had", "if it worked").
IRREALIS = _words("would could should might if wish expected expect hoped hoping thought")

# Single words whose sentiment in feedback differs from (or is missing in) the general lexicon.
WORDS: dict[str, float] = {
    "works": 1.2,
    "work": 0.8,
    "working": 0.8,
    "worked": 0.8,
    "recommend": 1.8,
    "recommended": 1.8,
    "worth": 1.5,
    "returned": -1.8,
    "returning": -1.8,
    "return": -0.8,
    "refund": -1.5,
    "refunded": -1.5,
    "junk": -2.5,
    "garbage": -2.5,
    "useless": -2.5,
    "worthless": -2.5,
    "broke": -2.0,
    "broken": -2.0,
    "defective": -2.5,
    "faulty": -2.0,
    "glitchy": -1.8,
    "buggy": -1.8,
    "unreliable": -2.0,
    "disconnects": -1.5,
    "disconnecting": -1.5,
    "unresponsive": -1.8,
    "overpriced": -1.8,
    "flimsy": -1.5,
    "crap": -2.5,
    "crappy": -2.5,
    "meh": -1.0,
    "mediocre": -1.5,
    "rude": -2.0,
    "unhelpful": -2.0,
    "delayed": -1.5,
    "cancelled": -1.5,
    "canceled": -1.5,
    "lost": -1.3,
    "waited": -1.0,
    "waiting": -0.8,
    "hold": -0.3,
    "easy": 1.5,
    "handy": 1.5,
    "convenient": 1.5,
    "responsive": 1.2,
    "reliable": 1.5,
    "intuitive": 1.5,
    "crisp": 1.2,
    "clear": 0.8,
    "smooth": 1.0,
    "helpful": 1.8,
    "prompt": 1.2,
    "thanks": 1.5,
    "thank": 1.5,
    "amazing": 3.0,
    "awesome": 3.0,
    "perfect": 3.0,
    "disappointing": -2.2,
    "disappointed": -2.2,
    "sucks": -2.5,
}

# Two-word phrases: replace the valence of both words (negators inside are already accounted for).
PHRASES: dict[tuple[str, str], float] = {
    ("stopped", "working"): -2.5,
    ("stop", "working"): -2.0,
    ("quit", "working"): -2.5,
    ("stops", "working"): -2.0,
    ("doesnt", "work"): -2.5,
    ("didnt", "work"): -2.5,
    ("dont", "work"): -2.5,
    ("wont", "work"): -2.5,
    ("not", "work"): -2.5,
    ("not", "working"): -2.5,
    ("never", "worked"): -2.5,
    ("not", "worth"): -2.5,
    ("wasnt", "worth"): -2.5,
    ("isnt", "worth"): -2.5,
    ("not", "recommend"): -2.5,
    ("dont", "recommend"): -2.5,
    ("wouldnt", "recommend"): -2.5,
    ("cant", "recommend"): -2.0,
    ("dont", "buy"): -2.5,
    ("dont", "waste"): -2.5,
    ("waste", "of"): -2.5,
    ("sent", "back"): -2.0,
    ("send", "back"): -1.8,
    ("sending", "back"): -2.0,
    ("went", "back"): -1.0,
    ("piece", "of"): -1.0,
    ("poor", "quality"): -2.5,
    ("customer", "service"): -0.3,
    ("no", "problems"): 1.5,
    ("no", "problem"): 1.2,
    ("no", "issues"): 1.5,
    ("not", "bad"): 1.0,
    ("love", "it"): 3.0,
    ("one", "star"): -2.5,
    ("zero", "stars"): -3.0,
    ("five", "stars"): 2.5,
    ("5", "stars"): 2.5,
    ("1", "star"): -2.5,
    ("highly", "recommend"): 3.0,
    ("on", "hold"): -1.5,
    ("too", "expensive"): -1.8,
    ("too", "small"): -1.0,
    ("too", "big"): -1.0,
    ("too", "loud"): -1.0,
    ("too", "quiet"): -1.0,
    ("too", "slow"): -1.5,
    ("no", "longer"): -1.0,
    ("not", "happy"): -2.2,
    ("not", "impressed"): -2.0,
    ("at", "least"): 0.0,
    ("not", "only"): 0.0,
}

EMOJI: dict[str, float] = {
    "😀": 2.0, "😃": 2.0, "😄": 2.0, "😁": 2.0, "😊": 2.0, "🙂": 1.2, "😍": 3.0, "🥰": 3.0,
    "❤": 3.0, "♥": 3.0, "👍": 2.0, "👌": 1.8, "🎉": 2.0, "⭐": 1.0, "😂": 1.0,
    "😞": -2.0, "😢": -2.0, "😭": -2.2, "😡": -2.8, "😠": -2.5, "🤬": -3.0, "👎": -2.0,
    "🙁": -1.5, "☹": -1.8, "😤": -2.0, "💩": -2.5, "😒": -1.5,
}  # fmt: skip

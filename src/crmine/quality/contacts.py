"""Normalise contact fields: e-mails, phone numbers, free text and names for matching.

Each normaliser takes a Series of raw values and returns a cleaned string Series (same
index, NA where the value is missing or unusable). The ones the CLI reports on also return
a ``CleanStats`` saying how many values were rewritten and how many were dropped as invalid.
Python-level work runs once per distinct value, never once per row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd

from crmine.errors import ConfigError
from crmine.quality._distinct import count_changes, map_distinct, until_stable

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class CleanStats:
    """What a cleaning step did, for the CLI to report.

    ``changed``: present values rewritten into another form. ``invalid``: present values
    that were not recognised: set to NA by the contact normalisers, kept as found (and so
    still visible) by ``normalise_currencies``.
    """

    changed: int
    invalid: int


def _nfkc(text: str) -> str:
    """NFKC (full-width letters, digits and signs become ASCII) without invisible characters."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))


# --- e-mail ----------------------------------------------------------------------------------

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])")
_ANGLE = re.compile(r"<([^<>]*)>$")


def _email(raw: str) -> str | None:
    text = _nfkc(raw).replace("。", ".").strip()
    angle = _ANGLE.search(text)  # "Jane Doe <jane@example.com>"
    if angle:
        text = angle.group(1).strip()
    text = text.lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :].split("?", 1)[0].strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None
    return text


def normalise_emails(values: pd.Series) -> tuple[pd.Series, CleanStats]:
    """Lower-case, trimmed e-mail addresses; anything that is not an address becomes NA.

    Full-width characters are folded (``ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ``), a ``mailto:`` prefix
    and a ``Name <...>`` wrapper are removed. Only ASCII addresses are accepted: the
    internationalised forms are rare in CRM exports and cannot be matched reliably.
    """
    out = map_distinct(values, _email)
    return out, CleanStats(*count_changes(values, out))


# --- phone -----------------------------------------------------------------------------------

_EXTENSION = re.compile(r"(?i)\s*(?:;?ext\.?=?|extension|x|#|转|分机)\s*\d{1,6}\s*$")
_SEPARATORS = re.compile(r"[\s\-./()\[\]]")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_CN_MOBILE_WITH_CODE = re.compile(r"861[3-9]\d{9}")


def _phone(raw: str, *, region: str, require_valid: bool) -> str | None:
    import phonenumbers

    text = _nfkc(raw).strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    text = _EXTENSION.sub("", text)
    compact = _SEPARATORS.sub("", text)
    parse_region = region
    if compact.startswith("00") and compact[2:3].isdigit():
        text = "+" + compact[2:]  # international prefix 00, whatever the default region dials
    elif _CN_MOBILE_WITH_CODE.fullmatch(compact):
        text = "+" + compact
    elif _CN_MOBILE.fullmatch(compact) and not _valid_in_nanp(compact, region):
        parse_region = "CN"
    try:
        number = phonenumbers.parse(text, parse_region)
    except phonenumbers.NumberParseException:
        return None
    if not (
        _valid(number, parse_region) if require_valid else phonenumbers.is_possible_number(number)
    ):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if len(e164) <= 16 else None  # E.164 allows at most 15 digits


def _valid(number: PhoneNumber, region: str) -> bool:
    """``is_valid_number``, trying the region it was read in first: a domestic number is
    then checked against one region's patterns, not every region sharing its country code."""
    import phonenumbers

    home = number.country_code == phonenumbers.country_code_for_region(region)
    if home and phonenumbers.is_valid_number_for_region(number, region):
        return True
    return phonenumbers.is_valid_number(number)


def _valid_in_nanp(compact: str, region: str) -> bool:
    """True when the default region dials with country code 1 and the number is valid there."""
    import phonenumbers

    if phonenumbers.country_code_for_region(region) != 1:
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(compact, region))
    except phonenumbers.NumberParseException:
        return False


def normalise_phones(
    values: pd.Series, default_region: str = "GB", *, require_valid: bool = True
) -> tuple[pd.Series, CleanStats]:
    """Phone numbers in E.164 (``+447946095800``); unparseable or invalid numbers become NA.

    Numbers without a country code are read in ``default_region``. A leading ``00`` is an
    international prefix (``0044 …``, ``00 86 …``) whatever the region, and extensions
    (``ext. 12``, ``x12``, ``转12``) are dropped.

    Heuristic for Chinese mobiles: an 11-digit number ``1[3-9]XXXXXXXXX`` written without
    a country code is read as a mainland-China mobile (``+86``) whatever the default
    region, because no other numbering plan uses that national form, except when the
    default region is in the North American plan (country code 1) and the number is a
    valid North American number there. ``861[3-9]…`` (13 digits, ``+`` forgotten) is
    read as ``+86`` too.

    ``require_valid=False`` keeps numbers that have a plausible length but are not
    allocated (fictional ranges such as UK 07700 900xxx used in test data).
    """
    import phonenumbers

    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"unknown phone region {default_region!r}: use a code such as GB or CN")
    fn = partial(_phone, region=region, require_valid=require_valid)
    out = map_distinct(values, fn)
    return out, CleanStats(*count_changes(values, out))


# --- text and names --------------------------------------------------------------------------


def _text(raw: str) -> str | None:
    text = " ".join(_nfkc(raw).split())
    return text or None


def normalise_text(values: pd.Series) -> pd.Series:
    """NFKC, trimmed, internal whitespace collapsed to one space; empty text becomes NA."""
    return map_distinct(values, _text)


_NON_WORD = re.compile(r"[\W_]+")


def _name_fold(text: str) -> str:
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", _nfkc(text).casefold()))


def _name_key(raw: str) -> str | None:
    if raw.isascii():  # most names: one pass is already stable
        return _NON_WORD.sub("", raw.lower()) or None
    return until_stable(_name_fold, raw) or None


def normalise_name(values: pd.Series) -> pd.Series:
    """A matching key for names: case-folded, no punctuation or spaces (``"O'Brien, Ann"`` →
    ``"obrienann"``). For comparing records, not for display."""
    return map_distinct(values, _name_key)

"""Text encoding of delimited files: sniff it, and transcode to UTF-8 for DuckDB.

DuckDB's CSV reader only reads UTF-8 here, so any other encoding is streamed through a
UTF-8 temporary file. Detection order: byte-order mark, then strict UTF-8, then GB18030
(a superset of GBK/GB2312, what Chinese Excel exports produce), then cp1252 only when
nothing else decodes the whole file.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

from crmine.errors import InputError

CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACKS = ("utf-8", "gb18030", "cp1252")


@dataclass(frozen=True)
class Sniffed:
    encoding: str  # Python codec name
    sha256: str


def _decode_error(path: Path, encoding: str, offset: int) -> InputError:
    line = 1 + _count_newlines(path, offset)
    return InputError(
        f"{path}: cannot decode as {encoding}: bad byte at offset {offset} (line {line}); "
        f"pass the right encoding"
    )


def _count_newlines(path: Path, end: int) -> int:
    n = 0
    with path.open("rb") as f:
        pos = 0
        while pos < end:
            chunk = f.read(min(CHUNK, end - pos))
            if not chunk:
                break
            n += chunk.count(b"\n")
            pos += len(chunk)
    return n


def _first_bad_offset(path: Path, encoding: str) -> int | None:
    """Byte offset of the first undecodable byte, or None when the whole file decodes."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    pos = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            final = not chunk
            # The error offset counts from the bytes the decoder still holds from before.
            buffered = len(dec.getstate()[0])
            try:
                dec.decode(chunk, final=final)
            except UnicodeDecodeError as e:
                return pos - buffered + e.start
            if final:
                return None
            pos += len(chunk)


def _sha256_and_head(path: Path) -> tuple[str, bytes, bool]:
    """Hash of the file, its first bytes, and whether it holds a NUL byte (binary)."""
    h = hashlib.sha256()
    head = b""
    has_nul = False
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if not head:
                head = chunk[:4096]
            has_nul = has_nul or b"\x00" in chunk
    return h.hexdigest(), head, has_nul


def sniff_encoding(path: Path, encoding: str | None = None) -> Sniffed:
    """Choose the encoding that decodes the whole file; raise ``InputError`` when none does."""
    digest, head, has_nul = _sha256_and_head(path)
    bom = next((name for mark, name in _BOMS if head.startswith(mark)), None)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}") from None
        bad = _first_bad_offset(path, encoding)
        if bad is not None:
            raise _decode_error(path, encoding, bad)
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and bom == "utf-8-sig":
            encoding = "utf-8-sig"
        return Sniffed(encoding, digest)
    if bom is not None:
        bad = _first_bad_offset(path, bom)
        if bad is not None:
            raise _decode_error(path, bom, bad)
        return Sniffed(bom, digest)
    if has_nul:
        offset = head.find(b"\x00")
        where = f" at offset {offset}" if offset >= 0 else ""
        raise InputError(f"{path}: holds NUL bytes{where}; it is binary, not a text file")
    first_bad: int | None = None
    for name in _FALLBACKS:
        bad = _first_bad_offset(path, name)
        if bad is None:
            if name == "gb18030" and _looks_latin(path):
                continue
            return Sniffed(name, digest)
        first_bad = bad if first_bad is None else first_bad
    line = 1 + _count_newlines(path, first_bad or 0)
    raise InputError(
        f"{path}: cannot decode as UTF-8, GB18030 or cp1252 (first bad byte at offset "
        f"{first_bad}, line {line}); pass the right encoding"
    )


def _looks_latin(path: Path, sample: int = CHUNK) -> bool:
    """True when text that decodes as GB18030 is more likely cp1252 (e.g. German umlauts).

    Common Chinese characters (GB2312) have a second byte of 0xA1 or more; a Latin-1 accent
    followed by an ASCII letter (``ü`` + ``l`` in "Müller") decodes as a rare GBK character
    whose second byte is ASCII. Mostly such pairs, and cp1252 fits: it is not Chinese.
    """
    with path.open("rb") as f:
        data = f.read(sample)
    text = data.decode("gb18030", errors="ignore")
    pairs = [c.encode("gb18030") for c in text if ord(c) > 127]
    double = [b for b in pairs if len(b) == 2]
    ascii_trail = sum(b[1] < 0x80 for b in double)
    if ascii_trail * 2 <= len(double):
        return False
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def needs_transcoding(encoding: str) -> bool:
    """UTF-8 (with or without BOM) goes to DuckDB as is; anything else is transcoded."""
    return codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig")


def transcode_to_utf8(src: Path, encoding: str, dst: Path) -> None:
    """Stream ``src`` into ``dst`` as UTF-8 without a BOM, one chunk at a time."""
    dec = codecs.getincrementaldecoder(encoding)("strict")
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(dec.decode(chunk).encode("utf-8"))
        fout.write(dec.decode(b"", final=True).encode("utf-8"))

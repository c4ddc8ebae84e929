"""Header values as servers hand them over -> text, strictly.

PEP 3333 servers hand header values over as "bytes-as-str": each character one byte of
the wire value (latin-1). UTF-8 is recovered strictly; nothing is ever guessed. Some
proxies encode non-ASCII values themselves (Tailscale Serve writes RFC 2047 encoded-words,
``=?utf-8?q?J=C3=B6rn?=``); :func:`decode_encoded_words` undoes exactly that encoding.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import IdentityError

__all__ = ["decode_encoded_words", "decode_header_value", "decode_utf8"]

# One RFC 2047 encoded-word in UTF-8 with the Q encoding (section 4.2): printable ASCII
# but "=", "?" and "_" stands for itself, "_" for a space, "=XX" for the byte XX. Only what
# Go's mime.QEncoding (Tailscale) writes is accepted: upper-case hexadecimal digits.
_Q_TEXT = r"(?:[!-<>@-~]|=[0-9A-F]{2})*"
_ENCODED_WORD = re.compile(rf"=\?(?i:utf-8)\?[qQ]\?({_Q_TEXT})\?=")
# Encoded-words that follow each other are separated by one space (section 6.2 drops it).
_ENCODED_WORDS = re.compile(rf"{_ENCODED_WORD.pattern}(?: {_ENCODED_WORD.pattern})*")
_Q_ESCAPE = re.compile(r"=([0-9A-F]{2})")


def decode_utf8(value: str, header: str) -> str:
    """The text of a PEP 3333 header value: latin-1 bytes -> strict UTF-8, not normalized."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise IdentityError("not_utf8", header, "UTF-8 encoded text") from None


def decode_header_value(value: str, header: str) -> str:
    """Recover the text of a PEP 3333 header value: latin-1 bytes -> strict UTF-8 -> NFC."""
    if value.isascii():
        return value
    return unicodedata.normalize("NFC", decode_utf8(value, header))


def decode_encoded_words(value: str) -> str:
    """A value that is a run of RFC 2047 UTF-8 Q encoded-words, as PEP 3333 "wire" bytes.

    Any other value is returned unchanged: a proxy that encodes non-ASCII text sends ASCII
    text as it is. A run of encoded-words that stands for ASCII text without controls is
    not one the proxy wrote (it would have sent that text unencoded), so it is kept as it
    is, literally. Decoded bytes that are not UTF-8 raise ``IdentityError("not_utf8")``
    when the caller decodes them.
    """
    if not value.startswith("=?") or not _ENCODED_WORDS.fullmatch(value):
        return value
    wire = "".join(
        _Q_ESCAPE.sub(lambda escape: chr(int(escape[1], 16)), word[1].replace("_", " "))
        for word in _ENCODED_WORD.finditer(value)
    )
    # Encoded-words standing for printable ASCII are not what the proxy writes: it sends
    # such text as it is. Kept literally, they cannot pass for another name.
    if all(" " <= char <= "~" or char == "\t" for char in wire):
        return value
    return wire

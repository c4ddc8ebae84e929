"""The character rules that make one directory name one account.

The threat: two strings that look alike, or that some later comparison folds together,
name two accounts. ``admin\\u00a0`` trimmed by ``str.strip()`` is ``admin``; the Kelvin
sign in ``\\u212Aevin`` becomes ``K`` under NFC; a zero-width space or a Hangul filler
makes a new name that displays as an old one. A value that is not refused is believed,
so every such value is refused here, with its own reason code, never repaired.

Identifiers (usernames, e-mail addresses and group names) follow every rule below.
Display names follow only the rules on control characters: they name nobody.

1. Only HTTP's own white space (space and tab) is trimmed from the ends of a value
   (:data:`HTTP_WHITESPACE`). Any other white space at either end of an identifier
   (U+00A0, U+3000, ...) is refused (``edge_whitespace``); controls anywhere, at the ends
   too, are refused (``control_character``).
2. Controls, format characters (zero-width, bidirectional controls), line and paragraph
   separators, private-use, unassigned and surrogate code points are refused in
   identifiers (``control_character``).
3. Invisible and blank characters are refused in identifiers (``invisible_character``):
   every default-ignorable code point (the format characters above, variation selectors,
   U+034F COMBINING GRAPHEME JOINER, U+17B4 and U+17B5 KHMER VOWEL INHERENT AQ and AA,
   the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0) and the characters that render
   as nothing (U+2800 BRAILLE PATTERN BLANK, the Egyptian full and half blanks,
   U+1D159 MUSICAL SYMBOL NULL NOTEHEAD), and every space character but the ASCII space
   (U+00A0, U+1680, U+2000 to U+200A, U+3000, ...). They are found by their category
   and their Unicode names, so a character added under such a name in a later Unicode
   version is refused too.
4. A character that NFC normalization changes on its own (a singleton decomposition or
   a composition exclusion: the Kelvin sign U+212A, the Ohm sign U+2126, the Angstrom
   sign U+212B, CJK compatibility ideographs, the Greek question mark U+037E, ...) is
   refused (``equivalent_character``): the name would become another name. The set is
   not listed by hand: every character for which ``unicodedata.is_normalized("NFC",
   char)`` is false is in it. A sequence that NFC only composes (``o`` + U+0308 into
   ``ö``) is accepted and composed: Unicode defines it as the same text.
5. A character that NFKC normalization changes (``ᴬ``, full-width letters, ligatures)
   is refused (``compatibility_character``) unless
   ``ParsingPolicy.allow_compatibility_characters`` is set.

A name that passes is returned in NFC, and NFKC leaves it as it is (unless compatibility
characters are allowed): no later normalization, Django's ``normalize_username``
included, turns it into another accepted name.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .errors import IdentityError

__all__ = ["HTTP_WHITESPACE", "check_identifier", "check_text", "identifier_problem"]

#: The only characters trimmed from the ends of a header value (RFC 9110's optional white
#: space, which servers strip anyway).
HTTP_WHITESPACE = " \t"

_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Bidirectional overrides and isolates: they make "nimda" display as "admin".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Categories never allowed in an identifier: controls, format characters (zero-width,
# bidi), line/paragraph separators, private use, unassigned, surrogates.
_IDENTIFIER_FORBIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})
# Display names keep format characters (some scripts need the zero-width joiners).
_TEXT_FORBIDDEN = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Words of the Unicode names of the invisible and blank characters that are not format
# characters (rule 3 of the module docstring).
_INVISIBLE_NAME_WORDS = (
    "VARIATION SELECTOR",
    "FILLER",
    "BLANK",
    "GRAPHEME JOINER",
    "VOWEL INHERENT",
    "NULL NOTEHEAD",
)
_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=_CACHE_SIZE)
def identifier_problem(char: str) -> str | None:
    """The reason code refusing ``char`` in an identifier, or ``None`` if it may appear.

    ``"compatibility_character"`` is returned for characters only NFKC changes; the caller
    decides whether its policy allows them.
    """
    category = unicodedata.category(char)
    if category in _IDENTIFIER_FORBIDDEN:
        return "control_character"
    name = unicodedata.name(char, "")
    if (category == "Zs" and char != " ") or any(word in name for word in _INVISIBLE_NAME_WORDS):
        return "invisible_character"
    if not unicodedata.is_normalized("NFC", char):
        return "equivalent_character"
    if not unicodedata.is_normalized("NFKC", char):
        return "compatibility_character"
    return None


_EXPECTED = {
    "control_character": "printable characters only",
    "invisible_character": "visible characters only",
    "equivalent_character": "characters that NFC normalization keeps",
    "compatibility_character": "characters that NFKC normalization keeps",
}


def check_identifier(text: str, header: str, *, allow_compatibility: bool = False) -> str:
    """``text`` (decoded, trimmed, not yet normalized) in NFC, or ``IdentityError``.

    Applies rules 1 to 5 of the module docstring. ``text`` must not be empty.
    """
    if text.isascii():
        if _ASCII_CONTROL.search(text):
            raise IdentityError("control_character", header, "printable characters only")
        return text
    for edge in (text[0], text[-1]):
        if unicodedata.category(edge) == "Zs":
            raise IdentityError(
                "edge_whitespace",
                header,
                f"no white space but space and tab at either end, not U+{ord(edge):04X}",
            )
    for char in text:
        if char.isascii():
            if _ASCII_CONTROL.match(char):
                raise IdentityError("control_character", header, "printable characters only")
            continue
        reason = identifier_problem(char)
        if reason is None or (reason == "compatibility_character" and allow_compatibility):
            continue
        raise IdentityError(reason, header, f"{_EXPECTED[reason]}, not U+{ord(char):04X}")
    # Composing keeps NFKC stability: a composite NFC builds has a canonical decomposition
    # only, so a value whose every character NFKC keeps is kept by NFKC once composed.
    return unicodedata.normalize("NFC", text)


def check_text(text: str, header: str) -> None:
    """Refuse controls, separators, surrogates and bidirectional controls in ``text``."""
    if text.isascii():
        if _ASCII_CONTROL.search(text):
            raise IdentityError("control_character", header, "printable characters only")
        return
    for char in text:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _TEXT_FORBIDDEN:
            raise IdentityError(
                "control_character", header, f"printable characters only, not U+{ord(char):04X}"
            )

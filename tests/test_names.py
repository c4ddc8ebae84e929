"""Tests of remote_identity.names: one directory name is one account.

Each rule is tested through the three identifiers (username, group name, e-mail address)
and, where it differs, the display name. The classes of characters are derived from
``unicodedata`` here too, so the tests cover every character of a class, not examples.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable

import pytest

from remote_identity import DEFAULT_POLICY, IdentityError, ParsingPolicy
from remote_identity.names import HTTP_WHITESPACE, check_identifier, identifier_problem
from remote_identity.parsing import parse_email, parse_groups, parse_name, parse_username

COMPAT = ParsingPolicy(allow_compatibility_characters=True)


def wire(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def as_username(text: str, policy: ParsingPolicy = DEFAULT_POLICY) -> object:
    return parse_username(wire(text), "Remote-User", policy)


def as_group(text: str, policy: ParsingPolicy = DEFAULT_POLICY) -> object:
    return parse_groups(wire(f"ok,{text}"), "Remote-Groups", policy=policy)


def as_email_local(text: str, policy: ParsingPolicy = DEFAULT_POLICY) -> object:
    return parse_email(wire(f"{text}x@example.com"), "Remote-Email", policy)


IDENTIFIERS: list[Callable[..., object]] = [as_username, as_group, as_email_local]
IDS = ["username", "group", "email"]


def reason_of(parse: Callable[..., object], text: str, policy: ParsingPolicy) -> str | None:
    try:
        parse(text, policy)
    except IdentityError as error:
        return error.reason
    return None


# --- 1. only space and tab are trimmed --------------------------------------------------

EDGE_SPACES = ["\u00a0", "\u1680", "\u2000", "\u2007", "\u200a", "\u202f", "\u205f", "\u3000"]
EDGE_CONTROLS = ["\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"]


@pytest.mark.parametrize("parse", IDENTIFIERS, ids=IDS)
@pytest.mark.parametrize("space", EDGE_SPACES, ids=[f"U+{ord(c):04X}" for c in EDGE_SPACES])
@pytest.mark.parametrize("where", ["start", "end"])
def test_other_white_space_at_an_edge_is_refused(
    parse: Callable[..., object], space: str, where: str
) -> None:
    text = space + "admins" if where == "start" else "admins" + space
    if parse is as_email_local and where == "end":
        text = "admins@example.com" + space
        parse = as_username  # the address as a whole, through the username rules
    for policy in (ParsingPolicy(), COMPAT):
        assert reason_of(parse, text, policy) == "edge_whitespace"


@pytest.mark.parametrize("parse", IDENTIFIERS, ids=IDS)
@pytest.mark.parametrize("control", EDGE_CONTROLS, ids=[f"U+{ord(c):04X}" for c in EDGE_CONTROLS])
def test_controls_at_an_edge_are_refused_not_trimmed(
    parse: Callable[..., object], control: str
) -> None:
    assert reason_of(parse, control + "admins", ParsingPolicy()) == "control_character"
    if parse is not as_email_local:
        assert reason_of(parse, "admins" + control, ParsingPolicy()) == "control_character"


def test_the_issue_examples() -> None:
    with pytest.raises(IdentityError) as info:
        as_username("admin\u00a0")
    assert info.value.reason == "edge_whitespace"
    with pytest.raises(IdentityError) as info:
        as_group("admins\u3000")
    assert info.value.reason == "edge_whitespace"
    assert as_username(" \tadmin\t ") == "admin"
    assert as_group("\t admins ") == ("ok", "admins")


def test_http_whitespace_is_space_and_tab() -> None:
    assert HTTP_WHITESPACE == " \t"


def test_display_names_keep_other_spaces_but_refuse_controls() -> None:
    assert parse_name(wire("Jörn\u00a0")) == "Jörn\u00a0"
    assert parse_name(wire(" Jörn\t")) == "Jörn"
    with pytest.raises(IdentityError) as info:
        parse_name(wire("Jörn\x85"))
    assert info.value.reason == "control_character"


# --- 4. characters that NFC replaces ----------------------------------------------------


def _characters(predicate: Callable[[str], bool]) -> list[str]:
    return [chr(cp) for cp in range(sys.maxunicode + 1) if predicate(chr(cp))]


NFC_CHANGED = _characters(lambda c: not unicodedata.is_normalized("NFC", c))
NFKC_ONLY = _characters(
    lambda c: unicodedata.is_normalized("NFC", c) and not unicodedata.is_normalized("NFKC", c)
)


def test_the_nfc_class_is_large_and_holds_the_known_signs() -> None:
    assert {"\u212a", "\u2126", "\u212b", "\u037e", "\u0387", "\uf900", "\u2329"} <= set(
        NFC_CHANGED
    )
    assert len(NFC_CHANGED) > 1000


@pytest.mark.parametrize("parse", IDENTIFIERS, ids=IDS)
def test_every_character_nfc_replaces_is_refused(parse: Callable[..., object]) -> None:
    for policy in (ParsingPolicy(), COMPAT):
        for char in NFC_CHANGED:
            # The spaces among them (U+2000, U+2001) are refused first as blanks.
            expected = "invisible_character" if char.isspace() else "equivalent_character"
            assert reason_of(parse, f"a{char}b", policy) == expected, hex(ord(char))


@pytest.mark.parametrize("parse", IDENTIFIERS, ids=IDS)
def test_every_character_only_nfkc_changes_is_refused_by_default(
    parse: Callable[..., object],
) -> None:
    for char in NFKC_ONLY:
        reason = reason_of(parse, f"a{char}b", ParsingPolicy())
        expected = identifier_problem(char)
        assert expected in ("compatibility_character", "invisible_character"), hex(ord(char))
        assert reason == expected, hex(ord(char))


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        pytest.param("\u212aevin", "equivalent_character", id="kelvin"),
        pytest.param("\u2126mega", "equivalent_character", id="ohm"),
        pytest.param("\u212bngstrom", "equivalent_character", id="angstrom"),
        pytest.param("\uf900x", "equivalent_character", id="cjk-compatibility-ideograph"),
        pytest.param("x\u037e", "equivalent_character", id="greek-question-mark"),
        pytest.param("\u1d2cdmin", "compatibility_character", id="modifier-capital-a"),
        pytest.param("\uff41dmin", "compatibility_character", id="full-width"),
        pytest.param("\u017fam", "compatibility_character", id="long-s"),
    ],
)
def test_look_alikes_of_another_name(name: str, reason: str) -> None:
    for parse in IDENTIFIERS:
        assert reason_of(parse, name, ParsingPolicy()) == reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("jo\u0308rn", "jörn", id="combining-diaeresis-composed"),
        pytest.param("\u1100\u1161", "\uac00", id="hangul-jamo-composed"),
        pytest.param("A\u030a", "Å", id="a-ring-composed"),
    ],
)
def test_sequences_nfc_composes_are_the_same_name(raw: str, expected: str) -> None:
    assert as_username(raw) == expected
    assert as_group(raw) == ("ok", expected)
    assert check_identifier(raw, "Remote-User") == expected


def test_compatibility_characters_allowed_by_policy_but_not_the_nfc_class() -> None:
    assert as_username("\u1d2cdmin", COMPAT) == "\u1d2cdmin"
    assert as_group("\uff41dmins", COMPAT) == ("ok", "\uff41dmins")
    assert reason_of(as_username, "\u212aevin", COMPAT) == "equivalent_character"


# --- 3. invisible and blank characters --------------------------------------------------

INVISIBLE = {
    "\u034f": "invisible_character",  # COMBINING GRAPHEME JOINER
    "\u115f": "invisible_character",  # HANGUL CHOSEONG FILLER
    "\u1160": "invisible_character",  # HANGUL JUNGSEONG FILLER
    "\u17b4": "invisible_character",  # KHMER VOWEL INHERENT AQ
    "\u17b5": "invisible_character",  # KHMER VOWEL INHERENT AA
    "\u180b": "invisible_character",  # MONGOLIAN FREE VARIATION SELECTOR ONE
    "\u2800": "invisible_character",  # BRAILLE PATTERN BLANK
    "\u3164": "invisible_character",  # HANGUL FILLER
    "\ufe0f": "invisible_character",  # VARIATION SELECTOR-16
    "\uffa0": "invisible_character",  # HALFWIDTH HANGUL FILLER
    "\U000e0100": "invisible_character",  # VARIATION SELECTOR-17
    # EGYPTIAN HIEROGLYPH FULL BLANK: new in Unicode 15 (Python 3.12); the unicodedata of
    # older Pythons has it unassigned, and unassigned code points are refused as such.
    "\U00013441": "invisible_character"
    if unicodedata.category("\U00013441") != "Cn"
    else "control_character",
    "\U0001d159": "invisible_character",  # MUSICAL SYMBOL NULL NOTEHEAD
    "\u1680": "invisible_character",  # OGHAM SPACE MARK
    "\u200b": "control_character",  # ZERO WIDTH SPACE (a format character)
    "\u200c": "control_character",  # ZERO WIDTH NON-JOINER
    "\u200d": "control_character",  # ZERO WIDTH JOINER
    "\u2060": "control_character",  # WORD JOINER
    "\u180e": "control_character",  # MONGOLIAN VOWEL SEPARATOR
    "\ufeff": "control_character",  # ZERO WIDTH NO-BREAK SPACE
    "\u00ad": "control_character",  # SOFT HYPHEN
    "\u202e": "control_character",  # RIGHT-TO-LEFT OVERRIDE
    "\U000e0041": "control_character",  # TAG LATIN CAPITAL LETTER A
}


@pytest.mark.parametrize("parse", IDENTIFIERS, ids=IDS)
@pytest.mark.parametrize(
    ("char", "reason"), list(INVISIBLE.items()), ids=[f"U+{ord(c):04X}" for c in INVISIBLE]
)
def test_invisible_characters_are_refused(
    parse: Callable[..., object], char: str, reason: str
) -> None:
    for policy in (ParsingPolicy(), COMPAT):
        assert reason_of(parse, f"ad{char}min", policy) == reason


# Default_Ignorable_Code_Point in DerivedCoreProperties.txt (Unicode 15.0), written out
# here to check the rules against Unicode's own list.
DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
]


def test_every_default_ignorable_code_point_is_refused() -> None:
    for first, last in DEFAULT_IGNORABLE:
        for cp in range(first, last + 1):
            assert identifier_problem(chr(cp)) in ("control_character", "invisible_character")
            assert reason_of(as_username, f"a{chr(cp)}b", COMPAT) is not None, hex(cp)


def test_display_names_keep_joiners_that_scripts_need() -> None:
    assert parse_name(wire("क्\u200dष")) == "क्\u200dष"
    assert parse_name(wire("\u3164")) == "\u3164"


def test_ascii_space_inside_an_identifier_is_fine() -> None:
    assert as_username("john smith") == "john smith"
    assert as_group("Domain Admins") == ("ok", "Domain Admins")


def test_identifier_problem_of_ordinary_letters() -> None:
    assert [identifier_problem(c) for c in "aZ9ßİ渡🦊é -"] == [None] * 10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("W\u030a", "\u1e98", id="w-ring-composed-after-lowering"),
        pytest.param("\u0130", "i\u0307", id="dotted-capital-i"),
        pytest.param("STRASSE", "strasse", id="ascii"),
    ],
)
def test_lower_case_names_are_composed_again(raw: str, expected: str) -> None:
    lower = ParsingPolicy(username_case="lower")
    assert as_username(raw, lower) == expected
    assert unicodedata.is_normalized("NFKC", expected)

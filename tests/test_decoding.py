"""Tests of remote_identity.decoding: header values -> text, strictly."""

from __future__ import annotations

import unicodedata

import pytest

from remote_identity import IdentityError
from remote_identity.decoding import decode_encoded_words, decode_header_value, decode_utf8


def wire(text: str) -> str:
    """``text`` as a PEP 3333 server hands it over: its UTF-8 bytes read as latin-1."""
    return text.encode("utf-8").decode("latin-1")


NFD_JORN = unicodedata.normalize("NFD", "Jörn")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("alice", "alice", id="ascii"),
        pytest.param("", "", id="empty"),
        pytest.param(wire("Jörn"), "Jörn", id="utf8-recovered"),
        pytest.param("Jörn".encode().decode("latin-1"), "Jörn", id="mojibake-repaired"),
        pytest.param(wire("渡辺"), "渡辺", id="cjk"),
        pytest.param(wire("🦊"), "🦊", id="astral"),
        pytest.param(wire(NFD_JORN), "Jörn", id="nfd-to-nfc"),
        pytest.param(wire("Å"), "Å", id="angstrom-sign-to-letter"),
    ],
)
def test_decode_header_value(value: str, expected: str) -> None:
    assert decode_header_value(value, "Remote-Name") == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("J\xf6rn", id="latin-1-byte"),
        pytest.param("\xc3", id="truncated-sequence"),
        pytest.param("\xc0\xaf", id="overlong"),
        pytest.param("\xed\xa0\x80", id="encoded-surrogate"),
        pytest.param("\xff\xfe", id="invalid-bytes"),
        pytest.param("Jörn€", id="not-latin-1-str"),
    ],
)
def test_decode_header_value_not_utf8(value: str) -> None:
    with pytest.raises(IdentityError) as info:
        decode_header_value(value, "Remote-Name")
    assert info.value.reason == "not_utf8"
    assert info.value.header == "Remote-Name"


def test_decode_utf8_does_not_normalize() -> None:
    assert decode_utf8(wire(NFD_JORN), "Remote-User") == NFD_JORN
    assert decode_utf8("alice", "Remote-User") == "alice"
    with pytest.raises(IdentityError) as info:
        decode_utf8("J\xf6rn", "Remote-User")
    assert (info.value.reason, info.value.header) == ("not_utf8", "Remote-User")


# Values as Go's mime.QEncoding.Encode("utf-8", text) writes them (Tailscale Serve).
@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param("=?utf-8?q?Kr=C5=ABmi=C5=86a?=", "Krūmiņa", id="tailscale-test-vector"),
        pytest.param("=?utf-8?q?J=C3=B6rn_M=C3=BCller?=", "Jörn Müller", id="underscore-space"),
        pytest.param(
            "=?utf-8?q?J=C3=B6rn?= =?utf-8?q?_M=C3=BCller?=", "Jörn Müller", id="two-words"
        ),
        pytest.param("=?UTF-8?Q?=E6=B8=A1=E8=BE=BA?=", "渡辺", id="upper-case-charset"),
        pytest.param("=?utf-8?q?=E6=B8?= =?utf-8?q?=A1?=", "渡", id="split-inside-a-character"),
        pytest.param("=?utf-8?q?a=3Fb=3D=5F=C3=A9?=", "a?b=_é", id="escaped-specials"),
    ],
)
def test_encoded_words_decoded(value: str, text: str) -> None:
    assert decode_utf8(decode_encoded_words(value), "H") == text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("alice", id="plain"),
        pytest.param("", id="empty"),
        pytest.param("=?utf-8?q?admin?=", id="encoded-ascii-is-literal"),
        pytest.param("=?utf-8?q?a_b?=", id="encoded-ascii-with-space-is-literal"),
        pytest.param("=?utf-8?q?J=c3=b6rn?=", id="lower-case-hex"),
        pytest.param("=?utf-8?q?J=C3=B6rn?=x", id="trailing-text"),
        pytest.param("x=?utf-8?q?J=C3=B6rn?=", id="leading-text"),
        pytest.param("=?utf-8?q?J=C3=B6rn?=  =?utf-8?q?x?=", id="two-spaces-between"),
        pytest.param("=?iso-8859-1?q?J=F6rn?=", id="other-charset"),
        pytest.param("=?utf-8?b?SsO2cm4=?=", id="b-encoding"),
        pytest.param("=?utf-8?q?J=C3=B6r?n?=", id="question-mark-inside"),
        pytest.param("=?utf-8?q?J=C3=B6rn=?=", id="dangling-escape"),
        pytest.param("=?utf-8?q?J\xc3\xb6rn?=", id="raw-bytes-inside"),
    ],
)
def test_other_values_are_kept_as_they_are(value: str) -> None:
    assert decode_encoded_words(value) == value


def test_encoded_bytes_that_are_not_utf8_fail_when_decoded() -> None:
    wire_value = decode_encoded_words("=?utf-8?q?J=F6rn?=")
    assert wire_value == "J\xf6rn"
    with pytest.raises(IdentityError) as info:
        decode_utf8(wire_value, "Tailscale-User-Name")
    assert info.value.reason == "not_utf8"

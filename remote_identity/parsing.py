"""Header values -> ``Identity``, or ``IdentityError`` with a reason code.

Every function here takes header values the way a WSGI server hands them over: PEP 3333
"bytes-as-str", each character one byte of the wire value (latin-1). UTF-8 is recovered
strictly; nothing is ever guessed. Once decoded and trimmed, every value goes through
:mod:`remote_identity.fields`, the rules the claims of a signed assertion go through too
(the character rules for names are in :mod:`remote_identity.names`).

Parsing is pure: it logs nothing and changes nothing. A value dropped while the identity
is kept (a malformed e-mail address) is returned in
:attr:`~remote_identity.fields.ParseResult.dropped`; the
``IdentityGate`` puts it in the ``Verdict`` and logs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .decoding import decode_encoded_words, decode_utf8
from .errors import IdentityError
from .fields import ParseResult as ParseResult  # its home is fields; kept importable here
from .fields import clean_email, clean_groups, clean_name, clean_username, email_field
from .identity import Identity
from .names import HTTP_WHITESPACE
from .policy import DEFAULT_POLICY, ParsingPolicy
from .schemes import HeaderScheme, environ_key, get_scheme

__all__ = [
    "parse_email",
    "parse_groups",
    "parse_headers",
    "parse_identity",
    "parse_name",
    "parse_username",
]


# Caddy 2.6's forward_auth copies a header the auth response lacked as its own unexpanded
# placeholder, e.g. "{http.reverse_proxy.header.Remote-User}". That means "not sent".
_CADDY_PLACEHOLDER = re.compile(r"^\{http\.[^{}]*\}$")


def _strip_prefix(text: str, header: str, prefix: str) -> str:
    if not prefix:
        return text
    if not text.startswith(prefix):
        raise IdentityError("missing_prefix", header, f"a value starting with {prefix!r}")
    return text[len(prefix) :].strip(HTTP_WHITESPACE)


def _text(value: str, header: str, prefix: str) -> str:
    """The text of a header value: decoded, trimmed, its prefix removed ("" for none)."""
    text = decode_utf8(value, header).strip(HTTP_WHITESPACE)
    return _strip_prefix(text, header, prefix) if text else text


def parse_username(
    value: str,
    header: str = "Remote-User",
    policy: ParsingPolicy = DEFAULT_POLICY,
    *,
    prefix: str = "",
) -> str | None:
    """The username in ``value``, or ``None`` when it is empty (no user signed in)."""
    text = _text(value, header, prefix)
    return clean_username(text, header, policy) if text else None


def parse_name(
    value: str, header: str = "Remote-Name", policy: ParsingPolicy = DEFAULT_POLICY
) -> str:
    """The display name in ``value`` (may be empty)."""
    return clean_name(decode_utf8(value, header), header, policy)


def parse_email(
    value: str,
    header: str = "Remote-Email",
    policy: ParsingPolicy = DEFAULT_POLICY,
    *,
    prefix: str = "",
) -> str | None:
    """The e-mail address in ``value`` with its domain lower-cased, ``None`` when empty.

    Raises ``IdentityError("invalid_email")`` for anything that is not one local part,
    one ``@`` and a domain that IDNA-encodes to valid host name labels.
    """
    text = _text(value, header, prefix)
    return clean_email(text, header, policy) if text else None


def parse_groups(
    value: str,
    header: str = "Remote-Groups",
    separator: str = ",",
    policy: ParsingPolicy = DEFAULT_POLICY,
    *,
    quote: str = "",
) -> tuple[str, ...]:
    """The group names in ``value``: split, trimmed, unquoted (when ``quote`` is set),
    empties dropped, duplicates removed."""
    parts = []
    for part in decode_utf8(value, header).split(separator):
        group = part.strip(HTTP_WHITESPACE)
        if quote and len(group) >= 2 and group[0] == quote and group[-1] == quote:
            group = group[1:-1].strip(HTTP_WHITESPACE)
        parts.append(group)
    return clean_groups(parts, header, policy)


def _header(environ: Mapping[str, object], header: str, scheme: HeaderScheme) -> str | None:
    """The raw value of ``header``, or ``None`` when absent or an unexpanded placeholder."""
    raw = environ.get(environ_key(header))
    if not isinstance(raw, str) or (raw.startswith("{http.") and _CADDY_PLACEHOLDER.match(raw)):
        return None
    if scheme.value_encoding == "rfc2047":
        return decode_encoded_words(raw)
    return raw


def parse_headers(
    environ: Mapping[str, object],
    scheme: str | HeaderScheme = "authelia",
    policy: ParsingPolicy = DEFAULT_POLICY,
) -> ParseResult:
    """The identity in a WSGI environ (or Django ``request.META``), and what was dropped.

    Reads only the environ keys of ``scheme.parsed_headers``. Does not decide trust:
    call it only for requests from a trusted proxy (the ``IdentityGate`` does).
    """
    scheme = get_scheme(scheme)
    username = None
    for header in scheme.user_headers:
        raw = _header(environ, header, scheme)
        if raw is not None:
            username = parse_username(raw, header, policy, prefix=scheme.value_prefix)
            if username is not None:
                break
    if username is None:
        return ParseResult(None)
    name = email = None
    groups: tuple[str, ...] = ()
    dropped: tuple[IdentityError, ...] = ()
    if scheme.name_header is not None:
        raw = _header(environ, scheme.name_header, scheme)
        if raw is not None:
            name = parse_name(raw, scheme.name_header, policy)
    if scheme.email_header is not None:
        raw = _header(environ, scheme.email_header, scheme)
        if raw is not None:
            text = _text(raw, scheme.email_header, scheme.value_prefix)
            if text:
                email, dropped = email_field(text, scheme.email_header, policy)
    if scheme.groups_header is not None:
        raw = _header(environ, scheme.groups_header, scheme)
        if raw is not None:
            groups = parse_groups(
                raw, scheme.groups_header, scheme.group_separator, policy, quote=scheme.group_quote
            )
    return ParseResult(Identity(username=username, name=name, email=email, groups=groups), dropped)


def parse_identity(
    environ: Mapping[str, object],
    scheme: str | HeaderScheme = "authelia",
    policy: ParsingPolicy = DEFAULT_POLICY,
) -> Identity | None:
    """The identity in a WSGI environ (or Django ``request.META``), or ``None``.

    ``None`` means nobody is signed in: no username header, or an empty one. This function
    does not decide trust: call it only for requests from a trusted proxy (the
    ``IdentityGate`` and the middleware do). A dropped e-mail address is left out
    silently; :func:`parse_headers` says what was dropped.
    """
    return parse_headers(environ, scheme, policy).identity

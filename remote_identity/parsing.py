"""Header values -> ``Identity``, or ``IdentityError`` with a reason code.

Every function here takes header values the way a WSGI server hands them over: PEP 3333
"bytes-as-str", each character one byte of the wire value (latin-1). UTF-8 is recovered
strictly; nothing is ever guessed. The character rules for names are in
:mod:`remote_identity.names`.

Parsing is pure: it logs nothing and changes nothing. A value dropped while the identity
is kept (a malformed e-mail address) is returned in :attr:`ParseResult.dropped`; the
``IdentityGate`` puts it in the ``Verdict`` and logs it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import NamedTuple

from .decoding import decode_encoded_words, decode_header_value, decode_utf8
from .errors import IdentityError
from .identity import Identity
from .names import HTTP_WHITESPACE, check_identifier, check_text
from .policy import DEFAULT_POLICY, ParsingPolicy
from .schemes import HeaderScheme, environ_key, get_scheme

__all__ = [
    "ParseResult",
    "parse_email",
    "parse_groups",
    "parse_headers",
    "parse_identity",
    "parse_name",
    "parse_username",
]


_EMAIL_LOCAL_FORBIDDEN = frozenset(' \t()<>[]\\,;:"@')
# Caddy 2.6's forward_auth copies a header the auth response lacked as its own unexpanded
# placeholder, e.g. "{http.reverse_proxy.header.Remote-User}". That means "not sent".
_CADDY_PLACEHOLDER = re.compile(r"^\{http\.[^{}]*\}$")
_DROPPABLE_EMAIL_REASONS = frozenset({"invalid_email", "too_long"})
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class ParseResult(NamedTuple):
    """What :func:`parse_headers` found.

    Attributes:
        identity: the ``Identity``, or ``None`` when nobody is signed in.
        dropped: the errors of values left out while the identity was kept (an e-mail
            address that is not one, under ``invalid_email="drop"``).
    """

    identity: Identity | None
    dropped: tuple[IdentityError, ...] = ()


def _check_length(text: str, header: str, limit: int) -> None:
    if len(text) > limit:
        raise IdentityError("too_long", header, f"at most {limit} characters, got {len(text)}")


def _strip_prefix(text: str, header: str, prefix: str) -> str:
    if not prefix:
        return text
    if not text.startswith(prefix):
        raise IdentityError("missing_prefix", header, f"a value starting with {prefix!r}")
    return text[len(prefix) :].strip(HTTP_WHITESPACE)


def parse_username(
    value: str,
    header: str = "Remote-User",
    policy: ParsingPolicy = DEFAULT_POLICY,
    *,
    prefix: str = "",
) -> str | None:
    """The username in ``value``, or ``None`` when it is empty (no user signed in)."""
    text = decode_utf8(value, header).strip(HTTP_WHITESPACE)
    if not text:
        return None
    text = _strip_prefix(text, header, prefix)
    if not text:
        return None
    text = check_identifier(text, header, allow_compatibility=policy.allow_compatibility_characters)
    if "," in text:
        raise IdentityError("multiple_values", header, "a single username without commas")
    if policy.username_case == "lower":
        # Lower-casing can leave a sequence NFC composes ("W" + U+030A becomes "w" +
        # U+030A, which is "ẘ"), and lengthen a name ("İ" becomes "i̇"): both are handled
        # on the final value.
        text = unicodedata.normalize("NFC", text.lower())
    _check_length(text, header, policy.max_username_length)
    return text


def parse_name(
    value: str, header: str = "Remote-Name", policy: ParsingPolicy = DEFAULT_POLICY
) -> str:
    """The display name in ``value`` (may be empty)."""
    text = decode_header_value(value, header).strip(HTTP_WHITESPACE)
    _check_length(text, header, policy.max_name_length)
    check_text(text, header)
    return text


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
    text = decode_utf8(value, header).strip(HTTP_WHITESPACE)
    if not text:
        return None
    text = _strip_prefix(text, header, prefix)
    if not text:
        return None
    _check_length(text, header, policy.max_email_length)
    text = check_identifier(text, header, allow_compatibility=policy.allow_compatibility_characters)
    local, at, domain = text.rpartition("@")
    expected = "local@domain with one '@' and a valid domain"
    if not at or not local or any(char in _EMAIL_LOCAL_FORBIDDEN for char in local):
        raise IdentityError("invalid_email", header, expected)
    domain = domain.lower()
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise IdentityError("invalid_email", header, expected) from None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise IdentityError("invalid_email", header, expected)
    email = f"{local}@{domain}"
    # Lower-casing can lengthen the domain ("İ" becomes "i̇"): check the final value too.
    _check_length(email, header, policy.max_email_length)
    return email


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
    text = decode_utf8(value, header)
    groups: dict[str, None] = {}
    for part in text.split(separator):
        group = part.strip(HTTP_WHITESPACE)
        if quote and len(group) >= 2 and group[0] == quote and group[-1] == quote:
            group = group[1:-1].strip(HTTP_WHITESPACE)
        if group:
            _check_length(group, header, policy.max_group_length)
            group = check_identifier(
                group, header, allow_compatibility=policy.allow_compatibility_characters
            )
            _check_length(group, header, policy.max_group_length)
            groups[group] = None
            if len(groups) > policy.max_groups:
                raise IdentityError(
                    "too_many_groups", header, f"at most {policy.max_groups} groups"
                )
    return tuple(groups)


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
            try:
                email = parse_email(raw, scheme.email_header, policy, prefix=scheme.value_prefix)
            except IdentityError as exc:
                # A malformed address is a directory problem, not an attack: keep the user
                # signed in without it. Undecodable or look-alike characters still reject.
                if policy.invalid_email == "reject" or exc.reason not in _DROPPABLE_EMAIL_REASONS:
                    raise
                dropped = (exc,)
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

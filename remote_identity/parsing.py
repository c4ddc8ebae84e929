"""Header values -> ``Identity``, or ``IdentityError`` with a reason code.

Every function here takes header values the way a WSGI server hands them over: PEP 3333
"bytes-as-str", each character one byte of the wire value (latin-1). UTF-8 is recovered
strictly; nothing is ever guessed.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import ConfigurationError, IdentityError
from .identity import Identity
from .schemes import HeaderScheme, environ_key, get_scheme

__all__ = [
    "DEFAULT_POLICY",
    "ParsingPolicy",
    "decode_header_value",
    "parse_email",
    "parse_groups",
    "parse_identity",
    "parse_name",
    "parse_username",
]

logger = logging.getLogger("remote_identity.parsing")


@dataclass(frozen=True, slots=True)
class ParsingPolicy:
    """Limits and choices applied when parsing identity headers.

    Attributes:
        max_username_length: longest accepted username, in characters (Django's 150).
        max_name_length: longest accepted display name.
        max_email_length: longest accepted e-mail address (RFC 5321's 254).
        max_group_length: longest accepted group name (Django's ``Group.name``, 150).
        max_groups: most groups accepted in one header.
        username_case: ``"preserve"`` keeps the proxy's spelling; ``"lower"`` lower-cases,
            for proxies whose user names are case-insensitive.
        allow_compatibility_characters: accept usernames that NFKC normalization would
            change (``"ᴬdmin"``, full-width letters). Off: such a name could pass for
            another user's in a case- or compatibility-insensitive comparison.
        invalid_email: ``"drop"`` keeps the identity without an e-mail (and logs a
            warning) so a bad directory entry does not lock the user out; ``"reject"``
            refuses the whole identity.
    """

    max_username_length: int = 150
    max_name_length: int = 255
    max_email_length: int = 254
    max_group_length: int = 150
    max_groups: int = 1000
    username_case: Literal["preserve", "lower"] = "preserve"
    allow_compatibility_characters: bool = False
    invalid_email: Literal["drop", "reject"] = "drop"

    def __post_init__(self) -> None:
        for attr in (
            "max_username_length",
            "max_name_length",
            "max_email_length",
            "max_group_length",
            "max_groups",
        ):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{attr} must be a positive integer, not {value!r}")
        if self.username_case not in ("preserve", "lower"):
            raise ConfigurationError(
                f"username_case must be 'preserve' or 'lower', not {self.username_case!r}"
            )
        if self.invalid_email not in ("drop", "reject"):
            raise ConfigurationError(
                f"invalid_email must be 'drop' or 'reject', not {self.invalid_email!r}"
            )
        if not isinstance(self.allow_compatibility_characters, bool):
            raise ConfigurationError("allow_compatibility_characters must be True or False")


#: The policy used when none is given (every default of ``ParsingPolicy``).
DEFAULT_POLICY = ParsingPolicy()

_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Bidirectional overrides and isolates: they make "nimda" display as "admin".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Categories never allowed in a username: controls, format characters (zero-width,
# bidi), line/paragraph separators, private use, unassigned, surrogates.
_USERNAME_FORBIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})
_TEXT_FORBIDDEN = frozenset({"Cc", "Zl", "Zp", "Cs"})
_EMAIL_LOCAL_FORBIDDEN = frozenset(' \t()<>[]\\,;:"@')
# Caddy 2.6's forward_auth copies a header the auth response lacked as its own unexpanded
# placeholder, e.g. "{http.reverse_proxy.header.Remote-User}". That means "not sent".
_CADDY_PLACEHOLDER = re.compile(r"^\{http\.[^{}]*\}$")
_DROPPABLE_EMAIL_REASONS = frozenset({"invalid_email", "too_long"})
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def decode_header_value(value: str, header: str) -> str:
    """Recover the text of a PEP 3333 header value: latin-1 bytes -> strict UTF-8 -> NFC."""
    if value.isascii():
        return value
    try:
        text = value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise IdentityError("not_utf8", header, "UTF-8 encoded text") from None
    return unicodedata.normalize("NFC", text)


def _check_controls(text: str, header: str, forbidden: frozenset[str]) -> None:
    if text.isascii():
        if _ASCII_CONTROL.search(text):
            raise IdentityError("control_character", header, "printable characters only")
        return
    for char in text:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in forbidden:
            raise IdentityError(
                "control_character", header, f"printable characters only, not U+{ord(char):04X}"
            )


def _check_length(text: str, header: str, limit: int) -> None:
    if len(text) > limit:
        raise IdentityError("too_long", header, f"at most {limit} characters, got {len(text)}")


def _strip_prefix(text: str, header: str, prefix: str) -> str:
    if not prefix:
        return text
    if not text.startswith(prefix):
        raise IdentityError("missing_prefix", header, f"a value starting with {prefix!r}")
    return text[len(prefix) :].strip()


def parse_username(
    value: str,
    header: str = "Remote-User",
    policy: ParsingPolicy = DEFAULT_POLICY,
    *,
    prefix: str = "",
) -> str | None:
    """The username in ``value``, or ``None`` when it is empty (no user signed in)."""
    text = decode_header_value(value, header).strip()
    if not text:
        return None
    text = _strip_prefix(text, header, prefix)
    if not text:
        return None
    _check_controls(text, header, _USERNAME_FORBIDDEN)
    if "," in text:
        raise IdentityError("multiple_values", header, "a single username without commas")
    if (
        not policy.allow_compatibility_characters
        and not text.isascii()
        and unicodedata.normalize("NFKC", text) != text
    ):
        raise IdentityError(
            "compatibility_character", header, "a username that NFKC normalization keeps"
        )
    if policy.username_case == "lower":
        text = text.lower()
    # Checked after lower-casing, which can lengthen a name ("İ" becomes "i̇").
    _check_length(text, header, policy.max_username_length)
    return text


def parse_name(
    value: str, header: str = "Remote-Name", policy: ParsingPolicy = DEFAULT_POLICY
) -> str:
    """The display name in ``value`` (may be empty)."""
    text = decode_header_value(value, header).strip()
    _check_length(text, header, policy.max_name_length)
    _check_controls(text, header, _TEXT_FORBIDDEN)
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
    text = decode_header_value(value, header).strip()
    if not text:
        return None
    text = _strip_prefix(text, header, prefix)
    if not text:
        return None
    _check_length(text, header, policy.max_email_length)
    _check_controls(text, header, _USERNAME_FORBIDDEN)
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
    text = decode_header_value(value, header)
    groups: dict[str, None] = {}
    for part in text.split(separator):
        group = part.strip()
        if quote and len(group) >= 2 and group[0] == quote and group[-1] == quote:
            group = group[1:-1].strip()
        if group:
            _check_length(group, header, policy.max_group_length)
            _check_controls(group, header, _TEXT_FORBIDDEN)
            groups[group] = None
            if len(groups) > policy.max_groups:
                raise IdentityError(
                    "too_many_groups", header, f"at most {policy.max_groups} groups"
                )
    return tuple(groups)


def _header(environ: Mapping[str, object], header: str) -> str | None:
    """The raw value of ``header``, or ``None`` when absent or an unexpanded placeholder."""
    raw = environ.get(environ_key(header))
    if not isinstance(raw, str) or (raw.startswith("{http.") and _CADDY_PLACEHOLDER.match(raw)):
        return None
    return raw


def parse_identity(
    environ: Mapping[str, object],
    scheme: str | HeaderScheme = "authelia",
    policy: ParsingPolicy = DEFAULT_POLICY,
) -> Identity | None:
    """The identity in a WSGI environ (or Django ``request.META``), or ``None``.

    ``None`` means nobody is signed in: no username header, or an empty one. This function
    does not decide trust: call it only for requests from a trusted proxy (the
    ``IdentityGate`` and the middleware do).
    """
    scheme = get_scheme(scheme)
    username = None
    for header in scheme.user_headers:
        raw = _header(environ, header)
        if raw is not None:
            username = parse_username(raw, header, policy, prefix=scheme.value_prefix)
            if username is not None:
                break
    if username is None:
        return None
    name = email = None
    groups: tuple[str, ...] = ()
    if scheme.name_header is not None:
        raw = _header(environ, scheme.name_header)
        if raw is not None:
            name = parse_name(raw, scheme.name_header, policy)
    if scheme.email_header is not None:
        email = _optional_email(environ, scheme.email_header, scheme.value_prefix, policy)
    if scheme.groups_header is not None:
        raw = _header(environ, scheme.groups_header)
        if raw is not None:
            groups = parse_groups(
                raw, scheme.groups_header, scheme.group_separator, policy, quote=scheme.group_quote
            )
    return Identity(username=username, name=name, email=email, groups=groups)


def _optional_email(
    environ: Mapping[str, object], header: str, prefix: str, policy: ParsingPolicy
) -> str | None:
    raw = _header(environ, header)
    if raw is None:
        return None
    try:
        return parse_email(raw, header, policy, prefix=prefix)
    except IdentityError as exc:
        # A malformed address is a directory problem, not an attack: keep the user
        # signed in without it. Undecodable or control characters still reject.
        if policy.invalid_email == "reject" or exc.reason not in _DROPPABLE_EMAIL_REASONS:
            raise
        logger.warning(
            "%s dropped: %s",
            header,
            exc,
            extra={"reason": exc.reason, "header": header},
        )
        return None

"""Identity fields from text: the one place where decoded values become an identity's.

Two paths reach here with Unicode text, and both go through the same rules:

- header values, once :mod:`remote_identity.parsing` has recovered their text (PEP 3333
  latin-1 -> strict UTF-8), trimmed HTTP's white space and removed a scheme's prefix;
- the claims of a verified signed assertion (``remote_identity.assertions``), which
  are Unicode already: nothing trims or decodes them.

A value that is not a clean name is refused with the reason code of the rule it breaks
(:mod:`remote_identity.names`), whichever path it came by: a claim ``"admin\\u200b"`` is
refused exactly like a ``Remote-User: admin\\u200b`` header. Identifiers must not start or
end with white space: a header's was trimmed before (servers strip it anyway), so only a
claim can still have it, and ``" alice"`` is refused (``edge_whitespace``), never
trimmed into ``alice``. Display names are trimmed: they name nobody.

Everything here is pure: it raises ``IdentityError`` or returns values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from .errors import IdentityError
from .identity import Identity
from .names import HTTP_WHITESPACE, check_identifier, check_text
from .policy import ParsingPolicy

__all__ = [
    "ParseResult",
    "clean_email",
    "clean_groups",
    "clean_name",
    "clean_username",
    "email_field",
    "identity_from_claims",
]

_EMAIL_LOCAL_FORBIDDEN = frozenset(' \t()<>[]\\,;:"@')
_DROPPABLE_EMAIL_REASONS = frozenset({"invalid_email", "too_long"})
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class ParseResult(NamedTuple):
    """An identity, and the values left out of it.

    Attributes:
        identity: the ``Identity``, or ``None`` when nobody is signed in.
        dropped: the errors of values left out while the identity was kept (an e-mail
            address that is not one, under ``invalid_email="drop"``).
    """

    identity: Identity | None
    dropped: tuple[IdentityError, ...] = ()


def check_length(text: str, header: str, limit: int) -> None:
    """Refuse ``text`` longer than ``limit`` characters (``too_long``)."""
    if len(text) > limit:
        raise IdentityError("too_long", header, f"at most {limit} characters, got {len(text)}")


# NFC composes at most four code points into one (U+1FAF, omega with three marks, is the
# longest canonical decomposition): a value more than this many times the limit cannot
# fit once composed, and is refused before any per-character work.
_COMPOSITION_BOUND = 4


def _check_bound(text: str, header: str, limit: int) -> None:
    """Refuse a value far too long before the character rules run; the limit itself
    applies to the value as it is stored (composed), checked afterwards."""
    if len(text) > _COMPOSITION_BOUND * limit:
        raise IdentityError("too_long", header, f"at most {limit} characters, got {len(text)}")


def _check_edges(text: str, header: str) -> None:
    """Refuse an identifier that starts or ends with a space or a tab (a claim's)."""
    if text[0] in HTTP_WHITESPACE or text[-1] in HTTP_WHITESPACE:
        edge = text[0] if text[0] in HTTP_WHITESPACE else text[-1]
        raise IdentityError(
            "edge_whitespace", header, f"no white space at either end, not U+{ord(edge):04X}"
        )


def clean_username(text: str, header: str, policy: ParsingPolicy) -> str:
    """The username ``text`` (non-empty) in its final form, or ``IdentityError``."""
    _check_edges(text, header)
    text = check_identifier(text, header, allow_compatibility=policy.allow_compatibility_characters)
    if "," in text:
        raise IdentityError("multiple_values", header, "a single username without commas")
    text = policy.apply_username_case(text)
    check_length(text, header, policy.max_username_length)
    return text


def clean_name(text: str, header: str, policy: ParsingPolicy) -> str:
    """The display name ``text`` in NFC and trimmed (may be empty), or ``IdentityError``."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = text.strip(HTTP_WHITESPACE)
    check_length(text, header, policy.max_name_length)
    check_text(text, header)
    return text


def clean_email(text: str, header: str, policy: ParsingPolicy) -> str:
    """The e-mail address ``text`` (non-empty) with its domain lower-cased.

    Raises ``IdentityError("invalid_email")`` for anything that is not one local part,
    one ``@`` and a domain that IDNA-encodes to valid host name labels.
    """
    _check_edges(text, header)
    _check_bound(text, header, policy.max_email_length)
    text = check_identifier(text, header, allow_compatibility=policy.allow_compatibility_characters)
    check_length(text, header, policy.max_email_length)
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
    check_length(email, header, policy.max_email_length)
    return email


def email_field(
    text: str, header: str, policy: ParsingPolicy
) -> tuple[str | None, tuple[IdentityError, ...]]:
    """The identity's e-mail address, and what was dropped: under ``invalid_email="drop"``
    an address that is not one (or too long) is left out and its error returned.

    A malformed address is a directory problem, not an attack: the user stays signed in
    without it. Undecodable or look-alike characters are always refused.
    """
    try:
        return clean_email(text, header, policy), ()
    except IdentityError as exc:
        if policy.invalid_email == "reject" or exc.reason not in _DROPPABLE_EMAIL_REASONS:
            raise
        return None, (exc,)


def clean_groups(parts: Iterable[str], header: str, policy: ParsingPolicy) -> tuple[str, ...]:
    """The group names ``parts`` (empty ones dropped), checked, deduplicated, in order."""
    groups: dict[str, None] = {}
    for part in parts:
        if not part:
            continue
        _check_bound(part, header, policy.max_group_length)
        _check_edges(part, header)
        group = check_identifier(
            part, header, allow_compatibility=policy.allow_compatibility_characters
        )
        check_length(group, header, policy.max_group_length)
        groups[group] = None
        if len(groups) > policy.max_groups:
            raise IdentityError("too_many_groups", header, f"at most {policy.max_groups} groups")
    return tuple(groups)


def identity_from_claims(
    username: str,
    name: str | None,
    email: str | None,
    groups: Iterable[str],
    *,
    labels: Mapping[str, str],
    policy: ParsingPolicy,
) -> ParseResult:
    """The identity of a verified assertion's claim values, by the rules of header values.

    ``labels`` names where each field came from (``"username"`` -> ``"X-Pomerium-Jwt-Assertion
    claim 'sub'"``), for the errors. An empty ``email`` is no address, as an empty
    ``Remote-Email`` is.
    """
    user = clean_username(username, labels["username"], policy)
    display = None if name is None else clean_name(name, labels["name"], policy)
    address: str | None = None
    dropped: tuple[IdentityError, ...] = ()
    if email:
        address, dropped = email_field(email, labels["email"], policy)
    names = clean_groups(groups, labels["groups"], policy)
    return ParseResult(Identity(username=user, name=display, email=address, groups=names), dropped)

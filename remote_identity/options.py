"""Every option of the identity gate, defined once: name, type, default, validation, doc.

``IdentityGate``, the WSGI and ASGI ``RemoteIdentityMiddleware``, the Django settings
(``REMOTE_IDENTITY_<SETTING>``), the Django system checks and ``remote-identity explain``
all take their options from :data:`OPTIONS`; none of them spells an option out again.
Validation happens here, once: an unusable value raises
:class:`~remote_identity.errors.ConfigurationError` with the option's ``name`` as its
``option`` and a stable ``reason``, which the Django checks map to their ids.

To add an option: add its keyword to :class:`GateOptions` (its type for type checkers)
and an :class:`Option` to :data:`OPTIONS` (default, validation, documentation, Django
setting, ``explain`` flag); then use it in ``IdentityGate``. Every layer picks it up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, Literal, TypedDict, TypeVar

from .errors import ConfigurationError
from .policy import DEFAULT_POLICY, ParsingPolicy
from .schemes import PRESETS, HeaderScheme, check_header_name, get_scheme
from .trust import TrustedProxies

__all__ = [
    "OPTIONS",
    "POLICY_OPTIONS",
    "GateOptions",
    "Option",
    "args_doc",
    "check_combination",
    "check_names",
    "problems",
]

T = TypeVar("T")

#: The shortest shared secret accepted.
MIN_SECRET_LENGTH = 16


class GateOptions(TypedDict, total=False):
    """The keyword arguments of ``IdentityGate`` and both middlewares, with their types.

    Each key is described by the :class:`Option` of the same name in :data:`OPTIONS`.
    """

    trusted_proxies: TrustedProxies | Iterable[str]
    scheme: str | HeaderScheme
    policy: ParsingPolicy
    on_untrusted: Literal["strip", "reject"]
    on_invalid: Literal["reject", "anonymous"]
    shared_secret_header: str | None
    shared_secret: str | None


@dataclass(frozen=True)
class Option(Generic[T]):
    """One option: how every layer spells it, what it accepts, what it means.

    Attributes:
        name: the keyword argument (``"trusted_proxies"``); ``ConfigurationError.option``.
        type: the accepted values, as the documentation shows them.
        default: the value when the option is not given.
        doc: one sentence saying what the option does, for docstrings, ``--help`` and the
            reference pages.
        convert: validates a value and returns what the gate keeps; raises
            ``ConfigurationError(option=name, reason=...)``.
        setting: the Django setting's name after ``REMOTE_IDENTITY_``, or ``None``.
        flag: the ``remote-identity explain`` flag, or ``None``.
        metavar: the flag's value in ``--help``.
        choices: the values the flag accepts (``--help`` lists them).
        repeat: the flag may be repeated; its values form a list.
        parse: turns the flag's text into the value (``int`` for lengths).
        default_doc: the default as the documentation shows it, when not its ``repr``.
    """

    name: str
    type: str
    default: object
    doc: str
    convert: Callable[[Any], T]
    setting: str | None = None
    flag: str | None = None
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    repeat: bool = False
    parse: Callable[[str], object] = str
    default_doc: str | None = None

    def take(self, options: Mapping[str, object]) -> T:
        """The validated value of this option in ``options``, or of its default."""
        return self.convert(options.get(self.name, self.default))


def _proxies(value: object) -> TrustedProxies:
    if isinstance(value, TrustedProxies):
        return value
    return TrustedProxies(value)  # type: ignore[arg-type]


def _policy(value: object) -> ParsingPolicy:
    if not isinstance(value, ParsingPolicy):
        raise ConfigurationError(
            f"policy must be a ParsingPolicy, not {value!r}", option="policy", reason="not_a_policy"
        )
    return value


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any], Any]:
    def convert(value: object) -> object:
        if value not in choices:
            raise ConfigurationError(
                f"{name} must be {' or '.join(map(repr, choices))}, not {value!r}",
                option=name,
                reason="not_a_choice",
            )
        return value

    return convert


def _secret_header(value: object) -> str | None:
    if value is None:
        return None
    return check_header_name(value, "shared_secret_header: ", option="shared_secret_header")


def _secret(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(
            f"shared_secret must be a string of at least {MIN_SECRET_LENGTH} characters, "
            f"not {type(value).__name__}",
            option="shared_secret",
            reason="not_a_string",
        )
    if not value.strip() or value != value.strip():
        # A proxy cannot send leading or trailing white space (servers strip it), so such
        # a secret could never match; a blank one is no secret.
        raise ConfigurationError(
            "shared_secret is blank or starts or ends with white space: it can never match",
            option="shared_secret",
            reason="whitespace",
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"shared_secret must be a string of at least {MIN_SECRET_LENGTH} characters",
            option="shared_secret",
            reason="too_short",
        )
    return value


def _policy_field(name: str) -> Callable[[Any], Any]:
    """Validates one ``ParsingPolicy`` field as ``ParsingPolicy`` does."""

    def convert(value: object) -> object:
        field: dict[str, Any] = {name: value}
        return getattr(ParsingPolicy(**field), name)

    return convert


#: Every gate option, in the order of the keyword arguments.
OPTIONS: Mapping[str, Option[Any]] = MappingProxyType(
    {
        option.name: option
        for option in (
            Option(
                "trusted_proxies",
                "list of str, or TrustedProxies",
                (),
                "The proxies' own addresses: IPs, CIDR networks and 'unix' (a peer on a Unix "
                "socket). Empty trusts nobody.",
                _proxies,
                default_doc="() (nobody)",
                setting="TRUSTED_PROXIES",
                flag="--trusted",
                metavar="ADDR",
                repeat=True,
            ),
            Option(
                "scheme",
                "str (a preset name) or HeaderScheme",
                "authelia",
                "Which headers carry the identity: a preset of PRESETS or a HeaderScheme.",
                get_scheme,
                setting="SCHEME",
                flag="--scheme",
                choices=tuple(sorted(PRESETS)),
            ),
            Option(
                "policy",
                "ParsingPolicy",
                DEFAULT_POLICY,
                "Limits and normalization choices (lengths, username case, e-mail handling).",
                _policy,
                default_doc="DEFAULT_POLICY",
            ),
            Option(
                "on_untrusted",
                "'strip' or 'reject'",
                "strip",
                "Identity headers from an untrusted peer: 'strip' removes them and serves the "
                "request anonymously; 'reject' answers 403.",
                _choice("on_untrusted", ("strip", "reject")),
                setting="ON_UNTRUSTED",
                flag="--on-untrusted",
                choices=("strip", "reject"),
            ),
            Option(
                "on_invalid",
                "'reject' or 'anonymous'",
                "reject",
                "An invalid identity from a trusted peer: 'reject' answers 400; 'anonymous' "
                "removes its headers and serves the request anonymously.",
                _choice("on_invalid", ("reject", "anonymous")),
                setting="ON_INVALID",
                flag="--on-invalid",
                choices=("reject", "anonymous"),
            ),
            Option(
                "shared_secret_header",
                "str or None",
                None,
                "A header the proxy adds to every request with shared_secret; a peer is then "
                "trusted only with it. Always removed before the application sees it.",
                _secret_header,
                setting="SHARED_SECRET_HEADER",
                flag="--secret-header",
                metavar="NAME",
            ),
            Option(
                "shared_secret",
                "str or None",
                None,
                f"The shared secret: at least {MIN_SECRET_LENGTH} characters, no white space "
                "at either end, compared in constant time. Set with shared_secret_header.",
                _secret,
                setting="SHARED_SECRET",
                flag="--secret",
                metavar="VALUE",
            ),
        )
    }
)

_POLICY_DEFAULTS = {field.name: field.default for field in dataclasses.fields(ParsingPolicy)}

#: The ``ParsingPolicy`` fields that other layers expose one by one (a Django setting, an
#: ``explain`` flag); ``ParsingPolicy`` validates them.
POLICY_OPTIONS: Mapping[str, Option[Any]] = MappingProxyType(
    {
        option.name: option
        for option in (
            Option(
                "username_case",
                "'preserve' or 'lower'",
                _POLICY_DEFAULTS["username_case"],
                "'lower' lower-cases usernames, for directories whose names are case-insensitive.",
                _policy_field("username_case"),
                setting="USERNAME_CASE",
                flag="--username-case",
                choices=("preserve", "lower"),
            ),
            Option(
                "max_name_length",
                "int",
                _POLICY_DEFAULTS["max_name_length"],
                "The longest display name accepted, in characters (the Django adapter uses "
                "150, the size of first_name).",
                _policy_field("max_name_length"),
                flag="--max-name-length",
                metavar="N",
                parse=int,
            ),
        )
    }
)


def check_names(options: Mapping[str, object]) -> None:
    """Raise ``TypeError`` for a keyword that is not an option, as a Python call would."""
    for name in options:
        if name not in OPTIONS:
            raise TypeError(f"unexpected keyword argument {name!r}")


def check_combination(options: Mapping[str, object]) -> None:
    """Raise ``ConfigurationError`` for options that are valid alone but not together."""
    header = options.get("shared_secret_header")
    secret = options.get("shared_secret")
    if (header is None) != (secret is None):
        raise ConfigurationError(
            "shared_secret_header and shared_secret must be set together",
            option="shared_secret_header" if secret is None else "shared_secret",
            reason="unpaired",
        )


def problems(options: Mapping[str, object]) -> list[ConfigurationError]:
    """Every ``ConfigurationError`` of ``options``, not only the first (for system checks)."""
    found = []
    for option in OPTIONS.values():
        try:
            option.take(options)
        except ConfigurationError as error:
            found.append(error)
    if not any(error.option in ("shared_secret_header", "shared_secret") for error in found):
        try:
            check_combination(options)
        except ConfigurationError as error:
            found.append(error)
    return found


def args_doc(indent: str = "    ") -> str:
    """The options as the ``Args:`` entries of a Google-style docstring."""
    lines = []
    for option in OPTIONS.values():
        default = option.default_doc or repr(option.default)
        lines.append(f"{indent}{option.name}: {option.doc} Default: ``{default}``.")
    return "\n".join(lines)

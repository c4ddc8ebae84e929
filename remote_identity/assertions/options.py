"""Validation of the verifier's options: every mistake is a ``ConfigurationError`` at
construction, with a message that names the option and what it expects."""

from __future__ import annotations

import math

from ..errors import ConfigurationError
from ..schemes import HeaderScheme

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "check_algorithms",
    "check_audience",
    "check_header",
    "check_names",
    "check_number",
    "check_text",
]

#: The public-key JWS algorithms a verifier may allow (RFC 7518 and RFC 8037).
SUPPORTED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
_HMAC = frozenset({"HS256", "HS384", "HS512"})


def check_text(option: str, value: object) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{option} must be a non-empty string, not {value!r}")
    return value


def check_header(value: object) -> str:
    """A request header name that every WSGI and ASGI server passes through."""
    header = check_text("header", value)
    try:
        HeaderScheme(name="assertion", user_headers=(header,))
    except ConfigurationError:
        raise ConfigurationError(
            f"header: {header!r} is not a valid header name "
            "(letters, digits and hyphens; underscores are not portable)"
        ) from None
    return header


def check_names(option: str, value: object, *, allow_empty: bool) -> tuple[str, ...]:
    """A list (or tuple) of non-empty strings; a bare string is refused."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigurationError(
            f"{option} must be a list of strings, not {type(value).__name__} {value!r}"
        )
    names = tuple(check_text(f"{option}[{i}]", item) for i, item in enumerate(value))
    if not names and not allow_empty:
        raise ConfigurationError(f"{option} must not be empty")
    return names


def check_audience(value: object, option: str = "audience") -> tuple[str, ...]:
    """One audience string, or a non-empty list of them (one must match)."""
    if isinstance(value, str):
        return (check_text(option, value),)
    return check_names(option, value, allow_empty=False)


def check_algorithms(value: object) -> tuple[str, ...]:
    """A non-empty list of public-key algorithms; ``none`` and HMAC refused."""
    algorithms = check_names("algorithms", value, allow_empty=False)
    for algorithm in algorithms:
        if algorithm.lower() == "none":
            raise ConfigurationError(
                "algorithms: 'none' means an unsigned token, which anyone can forge"
            )
        if algorithm.upper() in _HMAC:
            raise ConfigurationError(
                f"algorithms: {algorithm} is an HMAC algorithm; with public keys, anyone "
                "holding the key could sign (algorithm confusion). Use the proxy's "
                "public-key algorithm, e.g. ES256 or RS256"
            )
        if algorithm not in SUPPORTED_ALGORITHMS:
            raise ConfigurationError(
                f"algorithms: {algorithm!r} is not supported; expected some of "
                f"{', '.join(SUPPORTED_ALGORITHMS)}"
            )
    return tuple(dict.fromkeys(algorithms))


def check_number(
    option: str, value: object, *, minimum: float, maximum: float = math.inf, integer: bool = False
) -> float:
    """A finite number (an ``int`` when ``integer``) within ``[minimum, maximum]``."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(f"{option} must be {kind}, not {value!r}")
    if not minimum <= value <= maximum:
        raise ConfigurationError(
            f"{option} must be between {minimum:g} and {maximum:g}, not {value!r}"
        )
    return value

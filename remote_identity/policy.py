"""``ParsingPolicy``: the limits and choices applied when identity headers are parsed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from .errors import ConfigurationError

__all__ = ["DEFAULT_POLICY", "ParsingPolicy"]


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
            for proxies whose user names are case-insensitive
            (:meth:`apply_username_case`).
        allow_compatibility_characters: accept usernames, group names and e-mail
            addresses that NFKC normalization would change (``"ᴬdmin"``, full-width
            letters). Off: such a name could pass for another in a case- or
            compatibility-insensitive comparison.
        invalid_email: ``"drop"`` keeps the identity without an e-mail (the gate logs a
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
                raise ConfigurationError(
                    f"{attr} must be a positive integer, not {value!r}",
                    option=attr,
                    reason="not_a_positive_integer",
                )
        for attr, choices in (
            ("username_case", ("preserve", "lower")),
            ("invalid_email", ("drop", "reject")),
        ):
            value = getattr(self, attr)
            if value not in choices:
                raise ConfigurationError(
                    f"{attr} must be {' or '.join(map(repr, choices))}, not {value!r}",
                    option=attr,
                    reason="not_a_choice",
                )
        if not isinstance(self.allow_compatibility_characters, bool):
            raise ConfigurationError(
                "allow_compatibility_characters must be True or False",
                option="allow_compatibility_characters",
                reason="not_a_bool",
            )

    def apply_username_case(self, name: str) -> str:
        """``name``, an accepted username, in the case ``username_case`` asks for.

        ``"preserve"``: unchanged. ``"lower"``: ``str.lower()`` (not ``casefold()``:
        ``"ß"`` stays ``"ß"``), then NFC, since lower-casing can leave a sequence NFC
        composes (``"W"`` + U+030A becomes ``"w"`` + U+030A, which is ``"ẘ"``). The one
        definition of the rule: the parser applies it to usernames, the Django adapter to
        the e-mail address it uses as a username. Lower-casing can lengthen a name
        (``"İ"`` becomes ``"i̇"``): limits apply to the result.
        """
        if self.username_case == "lower":
            return unicodedata.normalize("NFC", name.lower())
        return name


#: The policy used when none is given (every default of ``ParsingPolicy``).
DEFAULT_POLICY = ParsingPolicy()

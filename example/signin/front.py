"""The sign-in front's shared state and its one authorization decision.

Both listeners (the portal's authz endpoints and the reverse proxy) call
`Front.authorize`, so they cannot disagree about who may see what.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from .rules import DEFAULT_RULES, AccessRules
from .sessions import SessionStore
from .targets import TargetError, parse_url
from .urls import cookie_values, is_safe_redirect, portal_redirect
from .users import User, UsersDatabase, verify_password

logger = logging.getLogger("signin.front")

COOKIE_NAME = "authelia_session"  # Authelia's default session cookie name
IDENTITY_HEADERS = ("Remote-User", "Remote-Groups", "Remote-Name", "Remote-Email")


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one authorization check."""

    outcome: Literal["authorized", "unauthorized", "forbidden"]
    user: User | None = None  # set when authorized with an identity to send
    location: str = ""  # the portal URL to sign in at, when unauthorized


def identity_headers(user: User) -> list[tuple[str, bytes]]:
    """Authelia's four headers for ``user``; values are raw UTF-8 bytes as on the wire."""
    values = (user.username, ",".join(user.groups), user.displayname, user.email)
    return [
        (name, value.encode("utf-8")) for name, value in zip(IDENTITY_HEADERS, values, strict=True)
    ]


class Front:
    """Users, sessions, rules and URLs of one running sign-in front."""

    def __init__(
        self,
        users: UsersDatabase,
        *,
        public_url: str,  # the portal as browsers reach it, e.g. http://127.0.0.1:9091
        allowed_hosts: Collection[str],  # hosts that rd= may point to, and that we protect
        rules: AccessRules = DEFAULT_RULES,
        sessions: SessionStore | None = None,
        identity_on_bypass: bool = True,  # Authelia sends Remote-* on bypass when signed in
    ) -> None:
        self.users = users
        self.public_url = public_url.rstrip("/")
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.rules = rules
        self.sessions = sessions if sessions is not None else SessionStore()
        self.identity_on_bypass = identity_on_bypass

    @property
    def cookie_host(self) -> str:
        """The host the session cookie belongs to: the portal's, as browsers reach it.

        A browser sends the cookie back to this host name only (on any port), as it sends
        Authelia's only inside its cookie domain: the proxy serves this name alone.
        """
        return (urlsplit(self.public_url).hostname or "").lower()

    def is_safe(self, url: str) -> bool:
        """May the portal redirect a browser to ``url``?"""
        return is_safe_redirect(url, self.allowed_hosts)

    def sign_in(self, username: str, password: str) -> tuple[str, User] | None:
        """Check credentials; on success start a session and return (token, user)."""
        user = self.users.get(username)
        if not verify_password(user, password) or user is None:
            logger.info("sign-in failed for %r: wrong username or password", username)
            return None
        if user.disabled:
            logger.info("sign-in refused for %r: user is disabled", username)
            return None
        logger.info("user %r signed in", username)
        return self.sessions.create(username), user

    def session_user(self, cookie_headers: Iterable[str]) -> tuple[str, User] | None:
        """The (token, current user entry) of the first live session cookie, if any.

        The user is looked up in the users file on every call (Authelia's
        ``refresh_interval: always``): a removed or disabled user loses the session.
        """
        for token in cookie_values(cookie_headers, COOKIE_NAME):
            session = self.sessions.get(token)
            if session is None:
                continue
            user = self.users.get(session.username)
            if user is None or user.disabled:
                logger.info("session of %r ended: user removed or disabled", session.username)
                self.sessions.destroy(token)
                continue
            return token, user
        return None

    def cookie(self, token: str) -> str:
        """The Set-Cookie value that carries a session token."""
        secure = "; Secure" if self.public_url.startswith("https:") else ""
        return f"{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"

    def expired_cookie(self) -> str:
        """The Set-Cookie value that removes the session cookie."""
        return f"{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"

    def authorize(self, cookie_headers: Iterable[str], method: str, url: str) -> Decision:
        """Authelia's decision for ``method url`` from a browser with these cookies.

        ``url`` is parsed strictly (`signin.targets`); one that is not exactly an
        absolute http(s) URL is forbidden, never matched against a rule.
        """
        try:
            target = parse_url(url)
        except TargetError as exc:
            logger.warning("refused to authorize: %s", exc)
            return Decision("forbidden")
        rule = self.rules.match(target.path)
        signed_in = self.session_user(cookie_headers)
        user = signed_in[1] if signed_in else None
        if rule.policy == "bypass":
            return Decision("authorized", user if self.identity_on_bypass else None)
        if rule.policy == "deny":
            return Decision("forbidden")
        if user is None:
            location = portal_redirect(self.public_url, target.url, method)
            return Decision("unauthorized", location=location)
        if rule.groups and not set(rule.groups).intersection(user.groups):
            logger.info(
                "access to %s forbidden to %r (needs %s)", rule.path, user.username, rule.groups
            )
            return Decision("forbidden")
        return Decision("authorized", user)

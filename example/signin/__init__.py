"""A development sign-in front that behaves like Authelia, for the demo and e2e tests.

It is a test double of Authelia's HTTP contract, not a security product: a users file in
Authelia's format, a sign-in portal, the ``/api/authz/forward-auth`` and
``/api/authz/auth-request`` endpoints that nginx, Caddy, Traefik and HAProxy call, and a
small reverse proxy so that the demo needs none of them. Run ``python -m signin --help``
from ``example/``.
"""

from __future__ import annotations

from .front import Decision, Front, identity_headers
from .rules import AccessRules, Rule, RulesError, load_rules, parse_rules
from .server import RunningFront, start
from .sessions import SessionStore
from .users import User, UsersDatabase, UsersFileError, hash_password, parse_users

__all__ = [
    "AccessRules",
    "Decision",
    "Front",
    "Rule",
    "RulesError",
    "RunningFront",
    "SessionStore",
    "User",
    "UsersDatabase",
    "UsersFileError",
    "hash_password",
    "identity_headers",
    "load_rules",
    "parse_rules",
    "parse_users",
    "start",
]

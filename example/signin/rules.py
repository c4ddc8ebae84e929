"""Access rules: a small, ordered subset of Authelia's ``access_control``.

A rules file (YAML, or JSON which is YAML too)::

    default_policy: one_factor      # or: deny
    rules:                          # first matching rule wins, as in Authelia
      - path: /public/              # a path prefix; the query string is ignored
        policy: bypass
      - path: /admins-only/
        policy: one_factor
        groups: [admins]            # signed in but in none of these groups -> 403

Policies: ``bypass`` (no sign-in needed), ``one_factor`` (any signed-in, enabled user),
``deny`` (403 for everyone signed in). Paths are matched after percent-decoding and
dot-segment removal; a path that needed dot-segment removal never matches ``bypass``.
A prefix ending in ``/`` also matches the same path without the slash (fail closed).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import yaml

Policy = Literal["bypass", "one_factor", "deny"]
_POLICIES: tuple[Policy, ...] = ("bypass", "one_factor", "deny")


class RulesError(ValueError):
    """The rules file cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One access rule."""

    path: str
    policy: Policy
    groups: tuple[str, ...] = ()

    def matches(self, raw: str, canonical: str) -> bool:
        """Does this rule apply to a request path (raw decoded, and canonical)?"""
        if self.policy == "bypass":  # only for paths that were already canonical
            return raw == canonical and canonical.startswith(self.path)
        return any(
            p.startswith(self.path) or (self.path.endswith("/") and p == self.path[:-1])
            for p in (raw, canonical)
        )


@dataclass(frozen=True, slots=True)
class AccessRules:
    """Ordered rules plus a default policy."""

    rules: tuple[Rule, ...]
    default_policy: Policy = "one_factor"

    def match(self, path: str) -> Rule:
        """The first rule for the URL path ``path``, or a rule with the default policy."""
        raw = unquote(path.split("?", 1)[0], errors="replace") or "/"
        canonical = posixpath.normpath(raw) if raw.startswith("/") else "/" + raw
        canonical = "/" + canonical.lstrip("/")  # normpath keeps a leading "//"
        if raw.endswith("/") and canonical != "/":
            canonical += "/"
        for rule in self.rules:
            if rule.matches(raw, canonical):
                return rule
        return Rule("/", self.default_policy)


DEFAULT_RULES = AccessRules(
    rules=(
        Rule("/public/", "bypass"),
        Rule("/static/", "bypass"),
        Rule("/admins-only/", "one_factor", ("admins",)),
    )
)


def _policy(value: Any, where: str) -> Policy:
    for policy in _POLICIES:
        if value == policy:
            return policy
    raise RulesError(f"{where}: expected one of {', '.join(_POLICIES)}, got {value!r}")


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, dict) or set(entry) - {"path", "policy", "groups"}:
        raise RulesError(f"{where}: expected a mapping with path, policy and optional groups")
    path = entry.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise RulesError(f"{where}.path: expected a path starting with '/'")
    groups = entry.get("groups", [])
    if isinstance(groups, str) or not isinstance(groups, list):
        raise RulesError(f"{where}.groups: expected a list of group names")
    if not all(isinstance(g, str) and g for g in groups):
        raise RulesError(f"{where}.groups: group names must be non-empty strings")
    policy = _policy(entry.get("policy"), f"{where}.policy")
    if groups and policy != "one_factor":
        raise RulesError(f"{where}: groups only make sense with policy one_factor")
    return Rule(path, policy, tuple(groups))


def parse_rules(text: str) -> AccessRules:
    """Parse a rules file's text; raise `RulesError` if it is not valid."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"not valid YAML or JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) - {"rules", "default_policy"}:
        raise RulesError("expected a mapping with 'rules' and optional 'default_policy'")
    entries = data.get("rules") or []
    if not isinstance(entries, list):
        raise RulesError("rules: expected a list")
    default = _policy(data.get("default_policy", "one_factor"), "default_policy")
    if default == "bypass":
        raise RulesError("default_policy: bypass is not allowed here")
    return AccessRules(tuple(_rule(e, f"rules[{i}]") for i, e in enumerate(entries)), default)


def load_rules(path: str | Path) -> AccessRules:
    """Read and parse a rules file."""
    return parse_rules(Path(path).read_text(encoding="utf-8"))

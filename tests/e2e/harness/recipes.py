"""The recipes in ``docs/recipes/``, as the tests run them.

A recipe is started exactly as written, except for the canonical loopback ports, which
are replaced with free ones (several stacks run side by side), and, for Caddy, its
storage directory. ``render`` refuses a recipe in which an expected literal is missing,
so a recipe edit that breaks the substitution fails loudly instead of testing nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RECIPES = Path(__file__).resolve().parents[3] / "docs" / "recipes"

# The canonical addresses every recipe uses (documented in each recipe's header).
PROXY_LISTEN = "127.0.0.1:8080"
AUTH_SERVICE = "127.0.0.1:9091"
APPLICATION = "127.0.0.1:8001"
#: The shared-secret header and value every recipe sends (a placeholder to replace).
SECRET_HEADER = "X-Remote-Identity-Secret"
SECRET_VALUE = "replace-me-with-a-long-random-secret"


@dataclass(frozen=True)
class Ports:
    """Where this stack's proxy listens and where its auth service and app are."""

    proxy: int
    auth: int
    app: int


def render(
    name: str,
    ports: Ports,
    *,
    expect: tuple[str, ...] = (PROXY_LISTEN, AUTH_SERVICE, APPLICATION),
    extra: dict[str, str] | None = None,
) -> str:
    """The text of recipe ``name`` with the canonical ports replaced by ``ports``.

    ``expect`` lists the canonical addresses the recipe must contain; ``extra`` maps more
    literals (paths) to their replacements, each of which must be present too.
    """
    text = (RECIPES / name).read_text(encoding="utf-8")
    canonical = {
        PROXY_LISTEN: f"127.0.0.1:{ports.proxy}",
        AUTH_SERVICE: f"127.0.0.1:{ports.auth}",
        APPLICATION: f"127.0.0.1:{ports.app}",
    }
    replacements = {old: canonical[old] for old in expect} | (extra or {})
    for old in replacements:
        if old not in text:
            raise ValueError(f"recipe {name} does not contain {old!r}; update the tests or it")
    # One pass, so that a new value is never rewritten again by a later replacement.
    pattern = re.compile("|".join(re.escape(old) for old in replacements))
    return pattern.sub(lambda match: replacements[match.group(0)], text)


def write(
    name: str,
    ports: Ports,
    directory: Path,
    *,
    expect: tuple[str, ...] = (PROXY_LISTEN, AUTH_SERVICE, APPLICATION),
    extra: dict[str, str] | None = None,
) -> Path:
    """Render recipe ``name`` into ``directory`` (same file name); the new path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(render(name, ports, expect=expect, extra=extra), encoding="utf-8")
    return path

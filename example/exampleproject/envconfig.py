"""Read the example's ``EXAMPLE_*`` environment variables (no Django import here).

``EXAMPLE_DATABASE`` is a URL:

- ``postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME`` (or ``postgres://``) for PostgreSQL;
- ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` for SQLite;
- unset or empty: SQLite at ``example/db.sqlite3``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["database_from_url", "env_flag", "env_list"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def env_flag(value: str | None, default: bool) -> bool:
    """``"1"``/``"true"``/``"yes"``/``"on"`` -> True, their opposites -> False."""
    if value is None:
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected a yes/no value such as 1 or 0, got {value!r}")


def env_list(value: str | None, default: list[str]) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str | None, default_sqlite: Path) -> dict[str, Any]:
    """One entry of Django's ``DATABASES`` from ``EXAMPLE_DATABASE``'s value."""
    if not url:
        return _sqlite(default_sqlite)
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if parts.netloc or not path:
            raise ValueError(f"expected sqlite:///PATH, got {url!r}")
        return _sqlite(Path(unquote(path)))
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"expected a postgresql:// or sqlite:/// URL, got {url!r}")
    name = unquote(parts.path.lstrip("/"))
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = -1
    if not name or "/" in name or port == -1:
        raise ValueError(f"expected postgresql://USER@HOST:PORT/NAME, got {url!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),  # e.g. ?sslmode=disable
    }


def _sqlite(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # Several gunicorn workers share the file: wait for a lock instead of failing.
        "OPTIONS": {"timeout": 20},
    }

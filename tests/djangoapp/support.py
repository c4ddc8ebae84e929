"""Helpers shared by the adapter's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.dispatch import Signal
from django.test import AsyncClient

from remote_identity_django.signals import identity_synced


def authelia(
    user: str = "alice",
    name: str | None = "Alice Liddell",
    email: str | None = "alice@example.com",
    groups: str | None = "editors",
) -> dict[str, str]:
    """The headers Authelia sends for ``user`` (``None`` leaves a header out)."""
    sent = {
        "Remote-User": user,
        "Remote-Name": name,
        "Remote-Email": email,
        "Remote-Groups": groups,
    }
    return {key: value for key, value in sent.items() if value is not None}


@contextmanager
def receiver(signal: Signal = identity_synced) -> Iterator[list[dict[str, Any]]]:
    """Collect the keyword arguments of each ``signal`` sent; always disconnects."""
    calls: list[dict[str, Any]] = []

    def collect(**kwargs: Any) -> None:
        kwargs.pop("signal")
        calls.append(kwargs)

    signal.connect(collect, weak=False)
    try:
        yield calls
    finally:
        signal.disconnect(collect)


def aget(client: AsyncClient, path: str, **kwargs: Any) -> Any:
    """``await client.get(path, **kwargs)`` from sync code."""

    async def get() -> Any:
        return await client.get(path, **kwargs)

    return async_to_sync(get)()


class StockHeaderMiddleware(RemoteUserMiddleware):
    """The pasted recipe's middleware: Django's own, reading ``HTTP_REMOTE_USER``."""

    header = "HTTP_REMOTE_USER"


class StockAsgiHeaderMiddleware(RemoteUserMiddleware):
    """Django's own, reading the ``Remote-User`` header under ASGI: Django 5.2+'s async
    path prepends ``HTTP_`` itself; before, the sync path runs and reads the key as is."""

    header = (
        "REMOTE_USER" if hasattr(RemoteUserMiddleware, "aprocess_request") else "HTTP_REMOTE_USER"
    )


# Settings of the two stacks the query-count tests compare: ours, and Django's own
# remote-user middleware (reading Authelia's header) with its RemoteUserBackend.
BASE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
OURS = {
    "MIDDLEWARE": [*BASE, "remote_identity_django.middleware.RemoteIdentityMiddleware"],
    "AUTHENTICATION_BACKENDS": ["remote_identity_django.backends.RemoteIdentityBackend"],
}
STOCK = {
    "MIDDLEWARE": [*BASE, "tests.djangoapp.support.StockHeaderMiddleware"],
    "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.RemoteUserBackend"],
}


class HeadersReader:
    """A middleware that reads ``request.headers`` before the remote identity middleware
    runs (as a logging or tracing middleware does), so that Django caches them."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request.headers.get("Remote-User")
        return self.get_response(request)

"""``EXAMPLE_STACK=stock``: Django's own remote-user stack, the benchmarks' baseline.

With it, the settings use this middleware and Django's ``RemoteUserBackend`` instead of
remote-identity's, and ``wsgi.py`` leaves out the core's WSGI middleware: the set-up of
the recipe people paste. It believes ``Remote-User`` from ANY client, so it is only for
``scripts/bench``, behind its nginx, on loopback; never for a real site.
"""

from __future__ import annotations

from django.contrib.auth.middleware import RemoteUserMiddleware


class StockRemoteUserMiddleware(RemoteUserMiddleware):
    """Django's middleware reading ``Remote-User`` as the WSGI server names it."""

    header = "HTTP_REMOTE_USER"

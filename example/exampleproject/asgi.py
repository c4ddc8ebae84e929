"""ASGI entry point: plain Django.

There is no WSGI layer here, so ``remote_identity_django``'s middleware applies the
core's trust decision and parsing to ``request.META`` itself, with the same settings.

Run it with e.g. ``uvicorn --app-dir example exampleproject.asgi:application``.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

application = get_asgi_application()

"""ASGI entry point: Django wrapped by the core's ASGI middleware.

``remote_identity.asgi.RemoteIdentityMiddleware`` judges the request before Django runs:
an untrusted peer's identity headers, and every underscore spelling of them
(``Remote_User``, which Django's ASGI handler would otherwise fold onto
``HTTP_REMOTE_USER``), are removed from the scope; an invalid identity gets a 400. The
verdict goes into the scope (``remote_identity.verdict``), where Django's ASGI request
keeps it, and ``remote_identity_django``'s middleware adopts it instead of judging the
headers again. Both layers get the same settings (``gate_options()``).

Run it with e.g. ``uvicorn --no-proxy-headers --app-dir example
exampleproject.asgi:application``: uvicorn's default ``--proxy-headers`` rewrites the
peer from ``X-Forwarded-For``, which would hide the proxy's address.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from remote_identity.asgi import RemoteIdentityMiddleware
from remote_identity_django.conf import gate_options

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

django_application = get_asgi_application()  # loads the settings that gate_options reads

application = RemoteIdentityMiddleware(django_application, **gate_options())

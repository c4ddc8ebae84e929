"""WSGI entry point: Django wrapped by the framework-agnostic core.

``remote_identity.wsgi.RemoteIdentityMiddleware`` decides, before Django runs, whether
the identity headers come from the proxy (``REMOTE_IDENTITY_TRUSTED_PROXIES``): it strips
them from everyone else and refuses invalid ones with a 400. The Django middleware then
uses its verdict (``environ["remote_identity"]``) instead of judging the headers again.
``gate_options()`` gives both layers the same ``REMOTE_IDENTITY_*`` settings.

Run it with ``gunicorn --chdir example exampleproject.wsgi`` (see ``scripts/demo``).
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from remote_identity.wsgi import RemoteIdentityMiddleware
from remote_identity_django.conf import gate_options

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

django_application = get_wsgi_application()  # loads the settings that gate_options reads

if os.environ.get("EXAMPLE_STACK") == "stock":  # the benchmarks' baseline, see stock.py
    application = django_application
else:
    application = RemoteIdentityMiddleware(django_application, **gate_options())

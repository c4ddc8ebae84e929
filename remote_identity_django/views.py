"""``LogoutView``: end the Django session, then the proxy's.

Logging out of Django alone is not enough behind an authenticating proxy: the next
request still carries the proxy's identity headers and signs the user in again. This
view logs out of Django, then redirects to the proxy's logout URL
(``REMOTE_IDENTITY_LOGOUT_URL``, e.g. ``https://auth.example.com/logout``) with an
``rd`` parameter pointing back at the site (``LOGOUT_REDIRECT_URL``, or ``/``), as
Authelia expects. Like Django's ``LogoutView``, it accepts POST only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from .conf import conf

__all__ = ["LogoutView", "logout_url"]


def logout_url(request: HttpRequest, back: str | None = None) -> str:
    """Where to send the user after the Django logout.

    ``REMOTE_IDENTITY_LOGOUT_URL`` with ``rd=<absolute back>`` added to its query (other
    parameters kept, an existing ``rd`` replaced); without it, ``back`` itself. ``back``
    defaults to ``LOGOUT_REDIRECT_URL`` or ``"/"``.
    """
    back = back or resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
    proxy_logout = conf.LOGOUT_URL
    if not proxy_logout:
        return back
    parts = urlsplit(proxy_logout)
    query = [
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "rd"
    ]
    query.append(("rd", request.build_absolute_uri(back)))
    return urlunsplit(parts._replace(query=urlencode(query)))


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LogoutView(View):
    """POST: log out of Django, then redirect through the proxy's logout (405 for GET)."""

    http_method_names = ("post", "options")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
        auth.logout(request)
        return HttpResponseRedirect(logout_url(request))

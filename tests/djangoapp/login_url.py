"""A site where the proxy authenticates one URL only: the example of ``docs/login-url.md``.

The proxy protects ``/accounts/login/`` (Authelia's ``one_factor``) and lets everything
else through without signing anybody in, clearing the identity headers there too. With
``PersistentRemoteIdentityMiddleware`` a request without identity keeps the session, so
the user signed in at the login URL stays signed in everywhere else. Settings::

    MIDDLEWARE = [..., "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware"]
    LOGIN_URL = "/accounts/login/"        # where login_required sends anonymous users
    LOGIN_REDIRECT_URL = "/"              # where to go when ``next`` is missing or unsafe

``tests/test_django_login_url.py`` follows the guide with these settings.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, resolve_url
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


@never_cache
def proxy_login(request: HttpRequest) -> HttpResponse:
    """``LOGIN_URL``: the one URL the proxy protects.

    By the time this view runs, the middleware has signed in the user the proxy named (or
    refused the request). Send the user on to ``next`` when it is a URL of this site.
    """
    if not request.user.is_authenticated:
        # The proxy let the request through without an identity: it does not protect
        # this URL. Say so instead of looping back to the login URL.
        return HttpResponseForbidden("Sign-in failed: the proxy sent no identity for this URL.\n")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = resolve_url(settings.LOGIN_REDIRECT_URL)
    return redirect(target)


@login_required
@never_cache
def private(request: HttpRequest) -> HttpResponse:
    """Any page of the site that needs a user: the session carries it."""
    return HttpResponse(request.user.get_username())


urlpatterns = [
    path("accounts/login/", proxy_login, name="login"),
    path("private/", private),
    path("auth/", include("remote_identity_django.urls")),  # the logout view
]

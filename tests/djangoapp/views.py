"""Views that show who the request's user is, as plain text."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache


@never_cache
def whoami(request: HttpRequest) -> HttpResponse:
    """``username`` of the request's user, or ``-`` for an anonymous one."""
    user = request.user
    return HttpResponse(user.get_username() if user.is_authenticated else "-")


@never_cache
def form(request: HttpRequest) -> HttpResponse:
    """GET: a CSRF token; POST (CSRF-checked): the user's name."""
    if request.method == "POST":
        return whoami(request)
    return HttpResponse(get_token(request))

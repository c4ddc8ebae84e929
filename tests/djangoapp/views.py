"""Views that show who the request's user is, as plain text."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
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


#: Headers whose copies ``layers`` reports: the identity headers and the tests' secret.
WATCHED = ("remote-user", "remote-groups", "x-secret")


@never_cache
def layers(request: HttpRequest) -> JsonResponse:
    """Which watched headers each layer of the request still holds, with their values:
    ``META``, ``request.headers`` and the ASGI scope."""

    def key(name: str) -> str:
        return "HTTP_" + name.upper().replace("-", "_")

    scope = getattr(request, "scope", None)
    return JsonResponse(
        {
            "meta": {
                name: request.META[key(name)] for name in WATCHED if key(name) in request.META
            },
            "headers": {name: request.headers[name] for name in WATCHED if name in request.headers},
            "scope": None
            if scope is None
            else [
                [name.decode("latin-1"), value.decode("latin-1")]
                for name, value in scope["headers"]
                if name.decode("latin-1").replace("_", "-") in WATCHED
            ],
            "user": request.user.get_username() if request.user.is_authenticated else None,
        }
    )

"""The pages: who you are, as HTML and as JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .describe import describe, why_anonymous

ADMINS_GROUP = "admins"  # the sign-in front's rule for /admins-only/ asks for the same


def _page(request: HttpRequest, title: str, note: str, status: int = 200) -> HttpResponse:
    info = describe(request)
    context: dict[str, Any] = {
        "title": title,
        "note": note,
        "info": info,
        "why": "" if info["authenticated"] else why_anonymous(info),
        "short_fingerprint": (info["fingerprint"] or "")[:12],
    }
    return render(request, "whoami/page.html", context, status=status)


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """Who you are. The sign-in front asks you to sign in first."""
    return _page(request, "Who am I", "The sign-in front lets nobody here without signing in.")


@never_cache
def public(request: HttpRequest) -> HttpResponse:
    """The same, on a path that the sign-in front lets everyone through (bypass)."""
    return _page(
        request,
        "Public page",
        "Everyone may see this page: the sign-in front does not ask anybody to sign in "
        "here, but it still says who you are if you did.",
    )


@never_cache
def admins_only(request: HttpRequest) -> HttpResponse:
    """For the group "admins": the front checks it, and so does the site."""
    user: Any = request.user
    if user.is_authenticated and user.groups.filter(name=ADMINS_GROUP).exists():
        return _page(request, "Admins only", f"You are in the group {ADMINS_GROUP!r}.")
    return _page(
        request,
        "Admins only",
        f"This page is for the group {ADMINS_GROUP!r}, and you are not in it.",
        status=403,
    )


@never_cache
def whoami_json(request: HttpRequest) -> JsonResponse:
    """The same information as JSON, for curl and for the tests."""
    return JsonResponse(describe(request), json_dumps_params={"ensure_ascii": False, "indent": 2})

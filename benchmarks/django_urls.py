"""The one page of the in-process Django benchmarks: who the request's user is."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def whoami(request: HttpRequest) -> HttpResponse:
    """``username`` of the request's user, or ``-``: it loads the user, as any page does."""
    user = request.user
    return HttpResponse(user.get_username() if user.is_authenticated else "-")


urlpatterns = [path("whoami/", whoami)]

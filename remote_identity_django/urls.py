"""URLs of the adapter: ``path("auth/", include("remote_identity_django.urls"))``.

Gives ``reverse("remote_identity:logout")``.
"""

from __future__ import annotations

from django.urls import path

from .views import LogoutView

__all__ = ["app_name", "urlpatterns"]

app_name = "remote_identity"

urlpatterns = [
    path("logout/", LogoutView.as_view(), name="logout"),
]

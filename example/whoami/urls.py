"""URLs of the whoami app."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "whoami"

urlpatterns = [
    path("", views.home, name="home"),
    path("whoami.json", views.whoami_json, name="json"),
    path("public/", views.public, name="public"),
    # The same JSON where the proxy recipes do not sign anybody in: /public/ (bypassed by
    # the sign-in front) and /healthz (not sent to the auth service at all).
    path("public/whoami.json", views.whoami_json, name="public_json"),
    path("healthz", views.whoami_json, name="healthz"),
    path("admins-only/", views.admins_only, name="admins_only"),
]

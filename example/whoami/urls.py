"""URLs of the whoami app."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "whoami"

urlpatterns = [
    path("", views.home, name="home"),
    path("whoami.json", views.whoami_json, name="json"),
    path("public/", views.public, name="public"),
    path("admins-only/", views.admins_only, name="admins_only"),
]

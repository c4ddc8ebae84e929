"""URLs for the adapter's tests."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("whoami/", views.whoami),
    path("api/whoami/", views.whoami),
    path("form/", views.form),
    path("layers/", views.layers),
    path("auth/", include("remote_identity_django.urls")),
]

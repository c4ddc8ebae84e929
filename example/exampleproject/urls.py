"""URLs of the example site."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path

urlpatterns = [
    path("", include("whoami.urls")),
    path("", include("remote_identity_django.urls")),  # logout/ (POST), ends both sessions
    path("admin/", admin.site.urls),
    # Static files (the admin's CSS) from Django itself while DEBUG is on; empty otherwise.
    *staticfiles_urlpatterns(),
]

"""Loaded by the admin's autodiscovery: the default site's user admin learns which fields
the proxy owns (:mod:`remote_identity_django.user_admin`)."""

from __future__ import annotations

from .user_admin import add_to_user_admin

add_to_user_admin()

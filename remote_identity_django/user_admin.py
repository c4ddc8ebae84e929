"""The user admin, aware of what the proxy owns.

The threat is a quiet one: an administrator edits a field the proxy owns (an e-mail
address from ``USER_ATTR_MAP``, ``is_superuser`` from ``USER_FLAGS_BY_GROUP``, a mirrored
group), the admin says "changed successfully", and the next sync undoes it. Worse, the
administrator believes a privilege was revoked that the proxy will grant again.

:class:`ProxyOwnedFieldsMixin` makes those fields read-only on the change page of every
user a ``RemoteIdentityBackend`` has synced, with a note naming the proxy; the groups
field keeps only the groups Django manages (``MIRROR_GROUPS_EXCEPT``, or those outside a
``MIRROR_GROUPS`` list), and saving it never drops a group the proxy owns. Users the
proxy never synced (local accounts) stay fully editable.

``remote_identity_django.admin``, loaded by the admin's autodiscovery, adds the mixin to
the user admin registered on the default admin site at that moment
(:func:`add_to_user_admin`), so with
``"remote_identity_django"`` listed after the app that registers the user admin
(``django.contrib.auth``, or your own), nothing else is needed. For another admin site,
or a user admin registered later, add the mixin to your class::

    @admin.register(User, site=my_site)
    class MyUserAdmin(ProxyOwnedFieldsMixin, UserAdmin): ...

Check ``remote_identity.W011`` reports a default site whose user admin lacks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .models import SyncState
from .rules import proxy_owned_fields, proxy_owned_group

if TYPE_CHECKING:
    from django.forms import ModelForm
    from django.http import HttpRequest

__all__ = ["NOTE", "ProxyOwnedFieldsMixin", "add_to_user_admin"]

#: The note shown above the fields the proxy owns.
NOTE = (
    "Managed by the sign-in proxy: these fields are set from the user's identity on "
    "every change, so edits here would be undone. Change them in the proxy's directory."
)


def _synced(obj: Any) -> bool:
    return obj is not None and SyncState._default_manager.filter(user=obj).exists()


class ProxyOwnedFieldsMixin:
    """Put first in a user admin's bases; see the module docstring."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not _synced(obj):
            return fields
        owned = [name for name in proxy_owned_fields() if name not in fields]
        if "groups" not in fields and not _django_groups().exists():
            owned.append("groups")  # every group is the proxy's
        return [*fields, *owned]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if not _synced(obj):
            return fieldsets
        owned = {*proxy_owned_fields(), "groups"}
        noted = []
        for name, options in fieldsets:
            if owned.intersection(options.get("fields", ())):
                description = options.get("description")
                note = f"{description} {NOTE}" if description else NOTE
                options = {**options, "description": note}
            noted.append((name, options))
        return noted

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        field = form.base_fields.get("groups")
        if field is not None and _synced(obj):
            field.queryset = _django_groups()
            field.help_text = (
                "Only the groups Django manages are listed; the sign-in proxy manages "
                f"the others ({', '.join(_proxy_groups_of(obj)) or 'none for this user'})."
            )
        return form

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        if "groups" in getattr(form, "cleaned_data", {}) and _synced(form.instance):
            kept = [g for g in form.instance.groups.all() if proxy_owned_group(g.name)]
            form.cleaned_data["groups"] = [*form.cleaned_data["groups"], *kept]
        super().save_related(request, form, formsets, change)  # type: ignore[misc]


def _django_groups() -> Any:
    owned = [g.pk for g in Group._default_manager.only("name") if proxy_owned_group(g.name)]
    return Group._default_manager.exclude(pk__in=owned)


def _proxy_groups_of(user: Any) -> list[str]:
    return sorted(g.name for g in user.groups.all() if proxy_owned_group(g.name))


def add_to_user_admin(site: admin.AdminSite = admin.site) -> bool:
    """Re-register the user admin of ``site`` with :class:`ProxyOwnedFieldsMixin` first in
    its bases; ``False`` if no user admin is registered. Done once, idempotent."""
    model = get_user_model()
    current = site._registry.get(model)
    if current is None:
        return False
    cls = type(current)
    if not issubclass(cls, ProxyOwnedFieldsMixin):
        site.unregister(model)
        site.register(
            model, type(cls.__name__, (ProxyOwnedFieldsMixin, cls), {"__module__": cls.__module__})
        )
    return True

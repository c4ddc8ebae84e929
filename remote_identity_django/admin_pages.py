"""The Django admin's login and logout pages, behind an authenticating proxy.

Two pages of ``django.contrib.admin`` assume passwords:

- **Log out** ends the Django session only; the next request carries the proxy's
  identity and signs the user in again. With ``REMOTE_IDENTITY_LOGOUT_URL`` set, once
  the admin's own logout view has logged the user out (its view, its CSRF check, its
  POST-only rule), the browser is sent through the proxy's logout too, and comes back to
  where the admin would have sent it.
- **Log in** shows a password form to a user the proxy signed in who is not staff (or
  whose account is inactive): a form that can never work, since the proxy's identity
  takes precedence over any password. Instead, while the request carries an identity,
  the page says who the proxy signed in, why the admin refuses them, and links to the
  proxy's sign-out (403).

The middleware calls :func:`page_of` after every view (a few attribute reads) and
:func:`respond` for these two pages only, on any ``AdminSite``: nothing to add to the
site's URLs or admin class. ``django.contrib.admin`` is imported only when one of its
pages was requested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseRedirect
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from .backends import remote_backend
from .conf import conf
from .verdict import request_verdict
from .views import logout_url

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

__all__ = ["TEMPLATE", "page_of", "refusal_reason", "respond"]

#: The page shown instead of the admin's password form.
TEMPLATE = "remote_identity_django/admin_denied.html"

_LOGGED_OUT = "_remote_identity_logged_out"

REASONS = {
    "inactive": "Your account here is inactive.",
    "not_staff": "Your account is not a staff account: the administration is for staff only.",
    "no_account": "There is no account for you here, and this site does not create accounts.",
    "local_account": (
        "An account of that name exists here with a password of its own, and this site "
        "does not let the proxy sign in to it."
    ),
    "no_email": "The proxy sent no e-mail address, which this site needs to know who you are.",
    "username_too_long": "Your name at the proxy is longer than the names of accounts here.",
    "not_allowed": "Your account may not use this administration.",
}


def page_of(request: HttpRequest) -> str | None:
    """``"login"`` or ``"logout"`` if ``request`` went to an admin site's page of that name."""
    match = request.resolver_match
    if match is None or match.url_name not in ("login", "logout"):
        return None
    if not match.app_names or match.app_names[-1] != "admin":
        return None
    return match.url_name


def respond(request: HttpRequest, response: HttpResponseBase, page: str) -> HttpResponseBase:
    """The admin's ``response``, or what replaces it behind the proxy (module docstring)."""
    from django.contrib.admin import AdminSite

    func: Any = request.resolver_match.func if request.resolver_match else None
    site = getattr(func, "admin_site", None) or getattr(func, "__self__", None)
    if not isinstance(site, AdminSite):
        return response
    if page == "logout":
        return _after_logout(request, response, site)
    return _login_page(request, response, site)


def _after_logout(request: HttpRequest, response: HttpResponseBase, site: Any) -> HttpResponseBase:
    if not conf.LOGOUT_URL or not getattr(request, _LOGGED_OUT, False):
        return response
    if isinstance(response, HttpResponseRedirect):
        back = response["Location"]
    else:
        back = reverse("admin:index", current_app=site.name)
    redirect = HttpResponseRedirect(logout_url(request, back=back))
    add_never_cache_headers(redirect)
    return redirect


def _login_page(request: HttpRequest, response: HttpResponseBase, site: Any) -> HttpResponseBase:
    identity = request_verdict(request).identity
    if identity is None or site.has_permission(request):
        return response
    reason = refusal_reason(request)
    back = request.build_absolute_uri(reverse("admin:index", current_app=site.name))
    context = {
        **site.each_context(request),
        "title": "Signed in by the proxy",
        "signed_in_as": identity.username,
        "display_name": identity.name,
        "reason": REASONS[reason],
        "reason_code": reason,
        "proxy_logout_url": logout_url(request, back=back) if conf.LOGOUT_URL else None,
    }
    try:
        body = render_to_string(TEMPLATE, context, request=request)
        denied = HttpResponse(body, status=403)
    except TemplateDoesNotExist:  # the site's template settings do not find app templates
        text = f"Signed in by the proxy as {identity.username}. {REASONS[reason]}\n"
        denied = HttpResponse(text, status=403, content_type="text/plain; charset=utf-8")
    add_never_cache_headers(denied)
    return denied


def refusal_reason(request: HttpRequest) -> str:
    """Why the admin refuses the request's proxy user: a key of :data:`REASONS`."""
    user: Any = request.user
    if user.is_authenticated:
        if not user.is_active:
            return "inactive"
        return "not_staff" if not user.is_staff else "not_allowed"
    identity = request_verdict(request).identity
    backend = remote_backend()
    if identity is None or backend is None:
        return "not_allowed"
    username = backend.username_for(identity)
    if username is None:
        return "no_email"
    username = backend.clean_username(username)
    if not backend.username_fits(username):
        return "username_too_long"
    model = get_user_model()
    lookup = {str(model.USERNAME_FIELD): username}
    found: Any = model._default_manager.filter(**lookup).first()
    if found is None:
        return "no_account"
    if not backend.user_can_authenticate(found):
        return "inactive"
    if backend.is_local_refused(found):
        return "local_account"
    return "not_allowed"


@receiver(user_logged_out)
def _mark_logged_out(
    *, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    """Remember on the request that a user was logged out (by the admin's view)."""
    if request is not None and user is not None:
        setattr(request, _LOGGED_OUT, True)

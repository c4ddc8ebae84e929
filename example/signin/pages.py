"""The portal's HTML pages: plain forms, no JavaScript."""

from __future__ import annotations

from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}"
    "label,input,button{display:block;width:100%;margin:.4rem 0;box-sizing:border-box}"
    "input,button{padding:.5rem;font-size:1rem}.error{color:#a00}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def sign_in_page(*, rd: str = "", rm: str = "", username: str = "", error: str = "") -> str:
    """The sign-in form; it posts back to ``/`` with the target kept in hidden fields."""
    message = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    return _page(
        "Sign in",
        f"{message}"
        '<form method="post" action="/">\n'
        f'<input type="hidden" name="rd" value="{escape(rd)}">\n'
        f'<input type="hidden" name="rm" value="{escape(rm)}">\n'
        '<label for="username">Username</label>\n'
        f'<input id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" required autofocus>\n'
        '<label for="password">Password</label>\n'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>\n'
        '<button type="submit">Sign in</button>\n</form>',
    )


def signed_in_page(username: str, displayname: str) -> str:
    """The landing page for a signed-in user with nowhere (safe) to go."""
    return _page(
        "Signed in",
        f"<p>Signed in as <strong>{escape(displayname or username)}</strong> "
        f'(<code id="username">{escape(username)}</code>).</p>\n'
        '<form method="post" action="/logout"><button type="submit">Sign out</button></form>',
    )


def signed_out_page() -> str:
    """Shown after logout when there is no safe URL to go back to."""
    return _page("Signed out", '<p>You are signed out.</p>\n<p><a href="/">Sign in again</a></p>')


def redirect_body(location: str, status: int, reason: str) -> str:
    """Authelia's body for redirects (and its 401 with a Location): a single link."""
    return f'<a href="{escape(location)}">{status} {escape(reason)}</a>'


def wrong_host_page(host: str, right_url: str) -> str:
    """The proxy's answer under a host name its sign-in cookie does not reach."""
    return _page(
        "Open this site under its own address",
        f"<p>This demo signs you in under one host name only; <code>{escape(host)}</code> "
        "is not it, so the browser would never send the sign-in cookie here and every "
        "sign-in would come back to this page.</p>\n"
        f'<p>Continue at <a id="right-host" href="{escape(right_url)}">'
        f"{escape(right_url)}</a>.</p>",
    )

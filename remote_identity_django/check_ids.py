"""Every system check id with its message and hint: one id per problem, never reused.

An id whose check is removed stays here, marked retired, so it is never given to
another problem. ``docs/django.md`` shows this table.
"""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Warning

from remote_identity.assertions import PRESETS as ASSERTION_PRESETS

__all__ = ["CHECKS", "message"]

_P = "REMOTE_IDENTITY_"
_KEEP = "Fix the value, or remove the setting to use its default."
# E004 and W001: the address convention of the quickstart and the recipes.
_ADD_PROXY = (
    "List the address the proxy connects from, as this server sees it: for a proxy on "
    'this host, an address of its own such as ["127.0.0.2"] (nginx proxy_bind, HAProxy '
    'source), not "127.0.0.1", which trusts every local process. Or verify the proxy\'s '
    f"signed assertion ({_P}ASSERTION). See the quickstart in the documentation."
)

#: id -> (message, hint); ``{...}`` fields are filled in by :func:`message`.
CHECKS: dict[str, tuple[str, str]] = {
    "E001": (
        f"{_P}TRUSTED_PROXIES must be a list of strings, not {{value!r}}.",
        'A string of addresses is not a list: write ["10.0.5.2"].',
    ),
    "E002": (
        f"{_P}TRUSTED_PROXIES has a malformed entry: {{error}}",
        'Use IP addresses, CIDR networks without host bits ("10.0.5.0/24") or "unix".',
    ),
    "E003": (
        f"{_P}TRUSTED_PROXIES trusts every address (0.0.0.0/0, ::/0, or networks that "
        "together cover every IPv4 or IPv6 address): any client can sign in as anyone.",
        "List only the proxy's own addresses, not a whole network.",
    ),
    "E004": (
        f"{_P}TRUSTED_PROXIES is empty while DEBUG is False and {_P}ASSERTION is not set: "
        "nobody can sign in.",
        _ADD_PROXY,
    ),
    "E005": (f"{_P}SCHEME is not usable: {{error}}", "Use a preset name or a HeaderScheme."),
    "E006": (
        f"{_P}SHARED_SECRET_HEADER and {_P}SHARED_SECRET must be set together.",
        "Set both, or neither.",
    ),
    "E007": (
        f"{_P}SHARED_SECRET must be a string of at least 16 characters.",
        "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    ),
    "E008": (
        f"{_P}SHARED_SECRET_HEADER is not a portable header name: {{value!r}}.",
        'Use letters, digits and hyphens, e.g. "X-Proxy-Secret".',
    ),
    "E009": (f"{_P}ON_UNTRUSTED must be 'strip' or 'reject', not {{value!r}}.", _KEEP),
    "E010": (f"{_P}ON_INVALID must be 'reject' or 'anonymous', not {{value!r}}.", _KEEP),
    "E011": (f"{_P}USERNAME_CASE must be 'preserve' or 'lower', not {{value!r}}.", _KEEP),
    "E012": (f"{_P}CREATE_UNKNOWN_USER must be True or False, not {{value!r}}.", _KEEP),
    "E013": (
        f"{_P}USER_ATTR_MAP must map user field names to 'username', 'name', 'email' "
        "or None, not {value!r}.",
        "None keeps the field empty.",
    ),
    "E014": (
        f"{_P}USER_ATTR_MAP names {{value!r}}, which is not a field of the user model.",
        "Use a field of the user model.",
    ),
    "E015": (
        f"{_P}USER_ATTR_MAP maps {{value!r}}, which the proxy must not set.",
        "The primary key, the password and the username field are never mapped.",
    ),
    "E016": (
        f"{_P}USER_ATTR_MAP maps {{value!r}}, which is not a text field.",
        f"Map text fields only; boolean flags go in {_P}USER_FLAGS_BY_GROUP.",
    ),
    "E017": (
        f"{_P}MIRROR_GROUPS must be True, False or a list of group names, not {{value!r}}.",
        _KEEP,
    ),
    "E018": (f"{_P}MIRROR_GROUPS_EXCEPT must be a list of group names, not {{value!r}}.", _KEEP),
    "E019": (f"{_P}CREATE_GROUPS must be True or False, not {{value!r}}.", _KEEP),
    "E020": (
        f"{_P}GROUP_NAME_MAP must map proxy group names to Django group names, not {{value!r}}.",
        "Use a dict of non-empty strings.",
    ),
    "E021": (
        f"{_P}USER_FLAGS_BY_GROUP must map user flags to lists of group names, not {{value!r}}.",
        'E.g. {{"is_staff": ["staff"], "is_superuser": ["admins"]}}.',
    ),
    "E022": (
        f"{_P}USER_FLAGS_BY_GROUP names {{value!r}}, which is not a boolean field of "
        "the user model.",
        "Use is_staff, is_superuser, is_active or another BooleanField.",
    ),
    "E023": (
        f"{_P}EXCLUDED_PATHS must be a list of path prefixes, not {{value!r}}.",
        'E.g. ["/api/"].',
    ),
    "E024": (
        f"{_P}EXCLUDED_PATHS has a prefix that does not start with '/': {{value!r}}.",
        'E.g. ["/api/"].',
    ),
    "E025": (f"{_P}LOGOUT_URL must be a string or None, not {{value!r}}.", _KEEP),
    "E026": (
        f"{_P}LOGOUT_URL is neither an http(s) URL nor a path: {{value!r}}.",
        'E.g. "https://auth.example.com/logout".',
    ),
    "E027": (
        f"{_P}MIRROR_GROUPS is on, but the user model has no 'groups' relation to Group.",
        f"Set {_P}MIRROR_GROUPS = False.",
    ),
    "E028": (
        "Neither RemoteIdentityMiddleware nor PersistentRemoteIdentityMiddleware is in "
        "MIDDLEWARE: nobody is signed in from the proxy's identity.",
        "Add 'remote_identity_django.middleware.RemoteIdentityMiddleware' after "
        "AuthenticationMiddleware.",
    ),
    "E029": ("MIDDLEWARE holds more than one remote identity middleware.", "Keep one."),
    "E030": (
        "AuthenticationMiddleware is not in MIDDLEWARE.",
        "Add 'django.contrib.auth.middleware.AuthenticationMiddleware' before the "
        "remote identity middleware.",
    ),
    "E031": (
        "AuthenticationMiddleware comes after the remote identity middleware.",
        "Move AuthenticationMiddleware before it.",
    ),
    "E032": (
        "Another RemoteUserMiddleware is in MIDDLEWARE: {value}. It believes its header "
        "from any peer.",
        "Remove it: the remote identity middleware replaces it.",
    ),
    "E033": (
        "No RemoteIdentityBackend is in AUTHENTICATION_BACKENDS: nobody can sign in.",
        "Add 'remote_identity_django.backends.RemoteIdentityBackend'.",
    ),
    "E034": (
        f"{_P}TRUSTED_PROXIES has a network wider than /8 (IPv4) or /32 (IPv6): {{error}}",
        "List only the proxy's own addresses, not a whole network.",
    ),
    "E035": (
        f"{_P}SHARED_SECRET is blank or starts or ends with white space: no proxy can send "
        "it, so it never matches.",
        "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    ),
    "E036": (
        "{value} Werkzeug ProxyFix layers wrap the identity gate in WSGI_APPLICATION: the "
        "peer cannot be known (each layer overwrites werkzeug.proxy_fix.orig), so nobody "
        "is trusted when the saved address is also in X-Forwarded-For.",
        "Wrap ProxyFix inside remote_identity.wsgi.RemoteIdentityMiddleware: "
        "RemoteIdentityMiddleware(ProxyFix(get_wsgi_application()), **gate_options()).",
    ),
    "E040": (f"{_P}ENABLED must be True or False, not {{value!r}}.", _KEEP),
    "E041": (f"{_P}DEFAULT_GROUPS must be a list of group names, not {{value!r}}.", _KEEP),
    "E042": (
        f"{_P}DEFAULT_GROUPS and {_P}MIRROR_GROUPS_EXCEPT both list {{value!r}}: a default "
        "group is added on every sync, an excepted one never is.",
        "Remove it from one of them.",
    ),
    "E043": (f"{_P}IDENTIFY_BY must be 'username' or 'email', not {{value!r}}.", _KEEP),
    "E044": (
        f"{_P}IDENTIFY_BY is 'email', but the scheme {{value!r}} has no e-mail header: "
        "nobody can sign in.",
        f"Use a scheme with an e-mail header, or {_P}IDENTIFY_BY = 'username'.",
    ),
    "E045": (f"{_P}LOCAL_USERS must be 'allow' or 'refuse', not {{value!r}}.", _KEEP),
    "E060": (
        f"{_P}ASSERTION must be a dict of the verifier's options, a dict naming a preset "
        "and its parameters, or an AssertionVerifier; not {value!r}.",
        'E.g. {{"preset": "pomerium", "host": "app.example.com"}}.',
    ),
    "E061": (
        f"{_P}ASSERTION names an unknown preset: {{error}}",
        f"Use one of {', '.join(ASSERTION_PRESETS)}, or the verifier's own options.",
    ),
    "E062": (
        f"{_P}ASSERTION is set, but the jwt extra is not installed: no token can be verified.",
        "pip install 'remote-identity[jwt]' (PyJWT and cryptography).",
    ),
    "E063": (
        f"{_P}ASSERTION allows an algorithm anyone can forge: {{error}}",
        "List only the proxy's public-key algorithm, e.g. ES256 or RS256.",
    ),
    "E064": (
        f"{_P}ASSERTION has no usable key source: {{error}}",
        "Give exactly one of jwks_url (https, or http to a loopback address), jwks, "
        "jwks_file, pem_map_url or pem_key_base_url; the presets set one.",
    ),
    "E065": (
        f"{_P}ASSERTION is not usable: {{error}}",
        "See the verifier's options and the presets' parameters in the signed assertions "
        "documentation.",
    ),
    "E066": (
        f"{_P}IDENTIFY_BY is 'email', but the signed assertion in {{value}} maps no e-mail "
        "claim: nobody can sign in.",
        f"Map one in {_P}ASSERTION ('claims': {{{{'email': 'email'}}}}), or "
        f"{_P}IDENTIFY_BY = 'username'.",
    ),
    "W001": (
        f"{_P}TRUSTED_PROXIES is empty and {_P}ASSERTION is not set: nobody can sign in "
        "from the proxy's identity.",
        _ADD_PROXY,
    ),
    "W002": (
        "CsrfViewMiddleware comes after the remote identity middleware: the CSRF token "
        "rotated at login is overwritten, and the first form posted after login fails.",
        "Move CsrfViewMiddleware before the remote identity middleware.",
    ),
    "W003": ("{value} is not a setting of remote_identity_django.", "{hint}"),
    "W004": (
        f"{_P}TRUSTED_PROXIES has the network {{value}}, inside Docker's default address "
        "pools: if it is a container network, every container on it is trusted.",
        "List the proxy container's own address (give it a static one), not its network.",
    ),
    "W005": (
        "A Werkzeug ProxyFix wraps the identity gate in WSGI_APPLICATION: the gate judges "
        "the address ProxyFix saved, and trusts nobody when that address is also in "
        "X-Forwarded-For (a client on the proxy's host).",
        "Wrap ProxyFix inside remote_identity.wsgi.RemoteIdentityMiddleware: "
        "RemoteIdentityMiddleware(ProxyFix(get_wsgi_application()), **gate_options()).",
    ),
    "W010": (
        "{value} local superuser(s) with a usable password ({names}): a user of the same "
        f"name at the proxy signs in to them, since {_P}LOCAL_USERS is 'allow'.",
        f"Set {_P}LOCAL_USERS = 'refuse', or give those accounts an unusable password "
        "if the proxy is the only way in.",
    ),
    "W011": (
        "The user admin of the default admin site lets administrators edit the fields the "
        "proxy owns: their edits are undone by the next sync.",
        "List 'remote_identity_django' after the app that registers your user admin, or "
        "add remote_identity_django.user_admin.ProxyOwnedFieldsMixin to its bases.",
    ),
    "W020": (
        f"{_P}TRUSTED_PROXIES is empty while {_P}ASSERTION is set: the signed assertion "
        "alone decides, from any peer. A valid token copied from a log or a proxy works "
        "from anywhere until it expires.",
        "List the proxy's own addresses when you know them (both must then hold). Behind a "
        "cloud proxy whose addresses others share, add remote_identity.W020 to "
        "SILENCED_SYSTEM_CHECKS.",
    ),
    "W021": (
        f"{_P}SCHEME is {{value!r}}, whose proxy reaches the application from addresses "
        "that other customers of the same cloud share: anyone can send these headers from "
        "a trusted address. This header mode is safe only behind a private tunnel.",
        f"Verify the proxy's signed assertion instead: {_P}ASSERTION = "
        '{{"preset": "{value}", ...}}.',
    ),
}


def message(check_id: str, **fields: object) -> CheckMessage:
    """The ``Error`` (``E...``) or ``Warning`` (``W...``) of ``check_id``."""
    text, hint = CHECKS[check_id]
    level = Error if check_id.startswith("E") else Warning
    return level(
        text.format(**fields), hint=hint.format(**fields), id=f"remote_identity.{check_id}"
    )

"""``AssertionVerifier`` configured for each proxy that signs the identity it forwards.

Each preset fixes the header, the algorithms, the key location, the issuer and the
audience form, and the claim map, from the parameters an operator knows (a host name, a
team domain, an AUD tag, an ARN). Malformed parameters raise ``ConfigurationError``.
Every other ``AssertionVerifier`` option (``leeway``, ``claims``, ``fetch_timeout``,
``keys_ttl``, ``refetch_cooldown``, ...) can be passed through; the ones a preset sets
cannot. ``verifier_from_options`` builds a verifier from plain values (a settings dict).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from ..errors import ConfigurationError
from .fetch import check_url
from .options import check_audience, check_text
from .verifier import AssertionVerifier

__all__ = [
    "GOOGLE_IAP_ISSUER",
    "GOOGLE_IAP_KEYS",
    "PRESETS",
    "authentik",
    "aws_alb",
    "cloudflare_access",
    "google_iap",
    "oidc",
    "pomerium",
    "teleport",
    "verifier_from_options",
]

#: Google IAP's keys: a JSON object of key id -> PEM public key.
GOOGLE_IAP_KEYS = "https://www.gstatic.com/iap/verify/public_key"
GOOGLE_IAP_ISSUER = "https://cloud.google.com/iap"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[0-9]{1,5}")
_AUD_TAG = re.compile(r"[0-9a-f]{64}")
_IAP_AUDIENCE = re.compile(r"/projects/[0-9]+(?:/[A-Za-z0-9._:-]+){2,}")
_ALB_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-us-gov|aws-cn):elasticloadbalancing:"
    r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-[0-9]):[0-9]{12}:"
    r"loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}"
)
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,100}")
_VERIFIER_OPTIONS = frozenset(inspect.signature(AssertionVerifier).parameters)


def _host(option: str, value: object, *, port: bool = False) -> str:
    text = check_text(option, value).strip().lower()
    if text.startswith("https://"):
        text = text[len("https://") :].rstrip("/")
    name, colon, number = text.rpartition(":") if port else ("", "", "")
    if not colon:
        name = text
    if not _HOST.fullmatch(name) or (
        colon and not (_PORT.fullmatch(number) and int(number) < 65536)
    ):
        form = "a host name[:port]" if port else "a host name"
        raise ConfigurationError(f"{option} must be {form}, like app.example.com; got {value!r}")
    return text


def _build(
    preset: str,
    owned: Mapping[str, Any],
    options: Mapping[str, Any],
    claims: Mapping[str, str | None] | None = None,
) -> AssertionVerifier:
    """The verifier with the preset's ``owned`` options, its default ``claims`` map laid
    under the caller's, and the caller's other ``options``."""
    clash = sorted(set(options) & set(owned))
    if clash:
        raise ConfigurationError(f"the {preset} preset sets {', '.join(clash)} itself")
    unknown = sorted(set(options) - _VERIFIER_OPTIONS)
    if unknown:
        raise ConfigurationError(
            f"{preset}: unknown option {', '.join(unknown)}; expected some of "
            f"{', '.join(sorted(_VERIFIER_OPTIONS - set(owned)))}"
        )
    merged = {**owned, **options}
    given = options.get("claims")
    if claims is not None and (given is None or isinstance(given, Mapping)):
        merged["claims"] = {**claims, **(given or {})}
    return AssertionVerifier(**merged)


def pomerium(
    *,
    host: str,
    jwks_url: str | None = None,
    issuer_format: Literal["hostOnly", "uri"] = "hostOnly",
    algorithms: Sequence[str] = ("ES256",),
    **options: Any,
) -> AssertionVerifier:
    """Pomerium's ``X-Pomerium-Jwt-Assertion``.

    Args:
        host: the route's host name as users reach it (``app.example.com``, no port):
            Pomerium's ``iss`` and ``aud``.
        jwks_url: default ``https://<host>/.well-known/pomerium/jwks.json``. Pin it:
            Pomerium's own verifier trusts the host named in the token.
        issuer_format: ``"hostOnly"`` (Pomerium's default ``jwt_issuer_format``:
            ``iss`` is the host) or ``"uri"`` (``iss`` is ``https://<host>/``).
        algorithms: ``ES256`` (an EC signing key, the default) or ``RS256`` (RSA).

    Claims: ``sub`` (the identity provider's user id) is the username by default; pass
    ``claims={"username": "email"}`` to use the e-mail address. ``name``, ``email`` and
    ``groups`` are read as they are.
    """
    name = _host("host", host)
    if issuer_format not in ("hostOnly", "uri"):
        raise ConfigurationError(
            f"issuer_format must be 'hostOnly' or 'uri', not {issuer_format!r}"
        )
    owned = {
        "header": "X-Pomerium-Jwt-Assertion",
        "issuer": name if issuer_format == "hostOnly" else f"https://{name}/",
        "audience": name,
        "algorithms": algorithms,
        "jwks_url": jwks_url or f"https://{name}/.well-known/pomerium/jwks.json",
    }
    return _build("pomerium", owned, options)


def cloudflare_access(
    *,
    team_domain: str,
    audience: str | Sequence[str],
    jwks_url: str | None = None,
    **options: Any,
) -> AssertionVerifier:
    """Cloudflare Access's ``Cf-Access-Jwt-Assertion``.

    Args:
        team_domain: ``<team>.cloudflareaccess.com`` (``https://`` may be included): the
            issuer is ``https://<team_domain>``.
        audience: the application's AUD tag (64 hexadecimal digits, from the Access
            application's overview), or a list of them.
        jwks_url: default ``https://<team_domain>/cdn-cgi/access/certs``.

    Claims: the username is the ``email`` claim. Service tokens carry no ``email`` and
    are refused (``assertion_claims``); groups are not in the token.
    """
    domain = _host("team_domain", team_domain)
    tags = check_audience(audience)
    for tag in tags:
        if not _AUD_TAG.fullmatch(tag):
            raise ConfigurationError(
                f"audience must be the Access application's AUD tag (64 lowercase "
                f"hexadecimal digits), not {tag!r}"
            )
    owned = {
        "header": "Cf-Access-Jwt-Assertion",
        "issuer": f"https://{domain}",
        "audience": list(tags),
        "algorithms": ["RS256"],
        "jwks_url": jwks_url or f"https://{domain}/cdn-cgi/access/certs",
    }
    return _build(
        "cloudflare-access", owned, options, {"username": "email", "name": None, "groups": None}
    )


def google_iap(
    *, audience: str | Sequence[str], pem_map_url: str = GOOGLE_IAP_KEYS, **options: Any
) -> AssertionVerifier:
    """Google Cloud Identity-Aware Proxy's ``x-goog-iap-jwt-assertion``.

    Args:
        audience: ``/projects/<PROJECT_NUMBER>/global/backendServices/<SERVICE_ID>``
            (Compute Engine, GKE) or ``/projects/<PROJECT_NUMBER>/apps/<PROJECT_ID>``
            (App Engine); the project *number*, not its id.
        pem_map_url: Google's JSON map of key id -> PEM key (the default).

    Claims: the username is the ``email`` claim (the ``sub`` is
    ``accounts.google.com:<numeric id>``); ``hd`` is in ``claims`` for Workspace domains.
    """
    audiences = check_audience(audience)
    for value in audiences:
        if not _IAP_AUDIENCE.fullmatch(value):
            raise ConfigurationError(
                "audience must look like /projects/<PROJECT_NUMBER>/global/backendServices/"
                f"<SERVICE_ID> or /projects/<PROJECT_NUMBER>/apps/<PROJECT_ID>, not {value!r}"
                " (the project number is all digits)"
            )
    owned = {
        "header": "X-Goog-IAP-JWT-Assertion",
        "issuer": GOOGLE_IAP_ISSUER,
        "audience": list(audiences),
        "algorithms": ["ES256"],
        "pem_map_url": pem_map_url,
    }
    return _build("google-iap", owned, options, {"username": "email", "name": None, "groups": None})


def aws_alb(
    *,
    arn: str | Sequence[str],
    issuer: str,
    client_id: str | None = None,
    pem_key_base_url: str | None = None,
    **options: Any,
) -> AssertionVerifier:
    """AWS Application Load Balancer's ``x-amzn-oidc-data``.

    Args:
        arn: the load balancer's ARN (or a list, all in one region): the token's
            ``signer`` must be one of them.
        issuer: the identity provider's issuer, as in the token's ``iss``.
        client_id: the OIDC client id the ALB uses; checked against ``client`` when set.
        pem_key_base_url: default ``https://public-keys.auth.elb.<region>.amazonaws.com``
            (the region of the ARN); the token's ``kid`` is appended as one path segment.

    Claims: the payload is the identity provider's user info; the username is ``email``.
    """
    arns = check_audience(arn, "arn")
    regions: set[tuple[str, str]] = set()
    for value in arns:
        match = _ALB_ARN.fullmatch(value)
        if match is None:
            raise ConfigurationError(
                "arn must be an application load balancer ARN, "
                "arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>, "
                f"not {value!r}"
            )
        regions.add((match["partition"], match["region"]))
    if len(regions) != 1:
        raise ConfigurationError("arn: all load balancers must be in one region")
    ((partition, region),) = regions
    if pem_key_base_url is None:
        if partition == "aws":
            pem_key_base_url = f"https://public-keys.auth.elb.{region}.amazonaws.com"
        elif partition == "aws-us-gov":
            pem_key_base_url = (
                f"https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}"
            )
        else:
            raise ConfigurationError(
                f"arn is in the {partition} partition: give pem_key_base_url explicitly"
            )
    owned = {
        "header": "X-Amzn-Oidc-Data",
        "issuer": issuer,
        "audience": list(arns),
        "algorithms": ["ES256"],
        "pem_key_base_url": pem_key_base_url,
        "profile": "aws-alb",
        "client_id": client_id,
    }
    return _build("aws-alb", owned, options, {"username": "email", "groups": None})


def authentik(
    *,
    base_url: str,
    slug: str,
    client_id: str,
    issuer: str | None = None,
    jwks_url: str | None = None,
    algorithms: Sequence[str] = ("RS256", "ES256", "ES384", "ES512"),
    **options: Any,
) -> AssertionVerifier:
    """authentik's proxy outpost ``X-authentik-jwt`` (the provider's id_token).

    Args:
        base_url: authentik's URL, e.g. ``https://authentik.example.com``.
        slug: the application's slug.
        client_id: the proxy provider's client id: the token's ``aud``.
        issuer: default ``<base_url>/application/o/<slug>/`` (the provider's default
            issuer mode, one issuer per application).
        jwks_url: default ``<base_url>/application/o/<slug>/jwks/``; never the URL in the
            ``X-authentik-meta-jwks`` request header.
        algorithms: the provider's signing key type. The provider needs a signing key:
            a token signed with the client secret (HS256) is refused.

    Claims: ``preferred_username`` is the username (the ``X-authentik-username`` value).
    """
    base = check_url(base_url, "base_url").rstrip("/")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise ConfigurationError(
            f"slug must be an application slug (letters, digits, - and _), not {slug!r}"
        )
    owned = {
        "header": "X-authentik-jwt",
        "issuer": issuer or f"{base}/application/o/{slug}/",
        "audience": client_id,
        "algorithms": algorithms,
        "jwks_url": jwks_url or f"{base}/application/o/{slug}/jwks/",
    }
    return _build("authentik", owned, options, {"username": "preferred_username"})


def teleport(
    *,
    proxy: str,
    cluster_name: str,
    app_uri: str | Sequence[str],
    jwks_url: str | None = None,
    **options: Any,
) -> AssertionVerifier:
    """Teleport application access's ``Teleport-Jwt-Assertion``.

    Args:
        proxy: the Teleport proxy's public address, ``host[:port]``.
        cluster_name: the cluster name: the token's ``iss``.
        app_uri: the application's URI as configured in Teleport: the token's ``aud``.
        jwks_url: default ``https://<proxy>/.well-known/jwks.json``.

    Claims: ``username`` is the username and ``roles`` the groups; tokens carry no
    ``kid``, so each published key is tried.
    """
    address = _host("proxy", proxy, port=True)
    owned = {
        "header": "Teleport-Jwt-Assertion",
        "issuer": cluster_name,
        "audience": app_uri,
        "algorithms": ["RS256"],
        "jwks_url": jwks_url or f"https://{address}/.well-known/jwks.json",
    }
    return _build(
        "teleport",
        owned,
        options,
        {"username": "username", "email": None, "name": None, "groups": "roles"},
    )


def oidc(
    *,
    issuer: str,
    client_id: str,
    jwks_url: str,
    algorithms: Sequence[str] = ("RS256",),
    header: str = "Authorization",
    bearer: bool | None = None,
    **options: Any,
) -> AssertionVerifier:
    """An OpenID Connect id_token, as oauth2-proxy passes it with
    ``--pass-authorization-header`` (``Authorization: Bearer <id_token>``).

    Args:
        issuer: the identity provider's issuer.
        client_id: the proxy's client id at the provider: the token's ``aud``.
        jwks_url: the provider's ``jwks_uri`` (from its discovery document).
        algorithms: the provider's signing algorithms.
        header: the header carrying the token.
        bearer: the value is ``Bearer <token>``; default: when ``header`` is
            ``Authorization``.

    Claims: the default map (``sub``, ``email``, ``name``, ``groups``). An id_token
    expires: the proxy must refresh it, or requests are refused once it has.
    """
    check_text("header", header)
    owned = {
        "header": header,
        "issuer": issuer,
        "audience": client_id,
        "algorithms": algorithms,
        "jwks_url": jwks_url,
        "bearer": header.lower() == "authorization" if bearer is None else bearer,
    }
    return _build("oidc", owned, options)


#: The presets by name, for settings: ``{"preset": "pomerium", "host": "..."}``.
PRESETS: Mapping[str, Callable[..., AssertionVerifier]] = MappingProxyType(
    {
        "pomerium": pomerium,
        "cloudflare-access": cloudflare_access,
        "google-iap": google_iap,
        "aws-alb": aws_alb,
        "authentik": authentik,
        "teleport": teleport,
        "oidc": oidc,
    }
)


def verifier_from_options(options: object) -> AssertionVerifier:
    """A verifier from plain values: ``AssertionVerifier``'s options, or a ``"preset"``
    name with that preset's parameters. ``ConfigurationError`` for anything else."""
    if not isinstance(options, Mapping):
        raise ConfigurationError(f"assertion options must be a dict, not {type(options).__name__}")
    values = dict(options)
    name = values.pop("preset", None)
    if name is None:
        factory: Callable[..., AssertionVerifier] = AssertionVerifier
    elif isinstance(name, str) and name in PRESETS:
        factory = PRESETS[name]
    else:
        raise ConfigurationError(
            f"unknown assertion preset {name!r}; expected one of {', '.join(PRESETS)}"
        )
    try:
        inspect.signature(factory).bind(**values)
    except TypeError as error:
        raise ConfigurationError(f"assertion options: {error}") from None
    return factory(**values)

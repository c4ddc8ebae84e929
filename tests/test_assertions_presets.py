"""Tests of remote_identity.assertions.presets: each proxy's token, end to end against a
loopback key server serving that proxy's key format, and each preset's parameter checks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from remote_identity import ConfigurationError
from remote_identity.assertions import (
    PRESETS,
    AssertionVerifier,
    InvalidAssertion,
    authentik,
    aws_alb,
    cloudflare_access,
    google_iap,
    oidc,
    pomerium,
    teleport,
    verifier_from_options,
)
from tests.assertion_support.keyserver import KeyServer
from tests.assertion_support.signing import alb_token, b64, ec_key, hmac_token, jwks, rsa_key

# Tokens are made when the module is imported, minutes before some tests run: they
# stay valid for a day.
NOW = int(time.time())
DAY = 86400
EC = ec_key("pomerium-key")
RSA = rsa_key("cf-key")


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer() as keys:
        yield keys


def reason(verifier: AssertionVerifier, token: str) -> str:
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(token)
    assert info.value.header == verifier.header
    return info.value.reason


def test_presets_by_name() -> None:
    assert dict(PRESETS) == {
        "pomerium": pomerium,
        "cloudflare-access": cloudflare_access,
        "google-iap": google_iap,
        "aws-alb": aws_alb,
        "authentik": authentik,
        "teleport": teleport,
        "oidc": oidc,
    }


# -- Pomerium -------------------------------------------------------------------------------


def pomerium_claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "iss": "app.example.com",
        "aud": "app.example.com",
        "jti": uuid.uuid4().hex,
        "iat": NOW,
        "exp": NOW + DAY,
        "sub": "user-123",
        "user": "user-123",
        "email": "alice@example.com",
        "groups": ["admins"],
        "sid": "session-1",
        "name": "Alice",
    }
    base.update(overrides)
    return base


def test_pomerium(server: KeyServer) -> None:
    server.serve_json(
        "/.well-known/pomerium/jwks.json", jwks(EC), headers={"Cache-Control": "max-age=60"}
    )
    verifier = pomerium(
        host="App.Example.com", jwks_url=server.url("/.well-known/pomerium/jwks.json")
    )
    assert verifier.header == "X-Pomerium-Jwt-Assertion"
    assert (verifier.issuer, verifier.audience, verifier.algorithms) == (
        "app.example.com",
        ("app.example.com",),
        ("ES256",),
    )
    assertion = verifier.verify(EC.sign(pomerium_claims()))
    assert (assertion.username, assertion.email, assertion.name, assertion.groups) == (
        "user-123",
        "alice@example.com",
        "Alice",
        ("admins",),
    )
    other_route = EC.sign(pomerium_claims(aud="billing.example.com"))
    assert reason(verifier, other_route) == "assertion_audience"
    uri_issuer = EC.sign(pomerium_claims(iss="https://app.example.com/"))
    assert reason(verifier, uri_issuer) == "assertion_issuer"


def test_pomerium_uri_issuer_and_email_username(server: KeyServer) -> None:
    server.serve_json("/jwks", jwks(EC))
    verifier = pomerium(
        host="app.example.com",
        issuer_format="uri",
        jwks_url=server.url("/jwks"),
        claims={"username": "email"},
    )
    assert verifier.issuer == "https://app.example.com/"
    token = EC.sign(pomerium_claims(iss="https://app.example.com/"))
    assert verifier.verify(token).username == "alice@example.com"


def test_pomerium_default_key_url() -> None:
    verifier = pomerium(host="app.example.com")
    assert verifier.keys_location == "https://app.example.com/.well-known/pomerium/jwks.json"


# -- Cloudflare Access ------------------------------------------------------------------------

TAG = "9607121bab7ceeed691bc06782b5030c7e054a27e3f98467b79f97a5f3708112"
TEAM = "team.cloudflareaccess.com"


def cloudflare_claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "aud": [TAG],
        "email": "alice@example.com",
        "exp": NOW + DAY,
        "iat": NOW,
        "nbf": NOW,
        "iss": f"https://{TEAM}",
        "type": "app",
        "identity_nonce": "6ei69kawdKzMIAPF",
        "sub": "7335d417-61da-459d-899c-0a01c76a2f94",
        "country": "US",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_cloudflare_access(server: KeyServer) -> None:
    certs = {**jwks(RSA), "public_cert": {"kid": "cf-key", "cert": "-----BEGIN CERTIFICATE-----"}}
    certs["public_certs"] = [certs["public_cert"]]
    server.serve_json("/cdn-cgi/access/certs", certs)
    verifier = cloudflare_access(
        team_domain=f"https://{TEAM}/",
        audience=TAG,
        jwks_url=server.url("/cdn-cgi/access/certs"),
    )
    assert (verifier.header, verifier.issuer, verifier.algorithms) == (
        "Cf-Access-Jwt-Assertion",
        f"https://{TEAM}",
        ("RS256",),
    )
    assertion = verifier.verify(RSA.sign(cloudflare_claims()))
    assert (assertion.username, assertion.email, assertion.name, assertion.groups) == (
        "alice@example.com",
        "alice@example.com",
        None,
        (),
    )
    other_app = RSA.sign(cloudflare_claims(aud=["0" * 64]))
    assert reason(verifier, other_app) == "assertion_audience"
    service_token = RSA.sign(
        cloudflare_claims(email=None, sub="", common_name="ci.access", type="app")
    )
    assert reason(verifier, service_token) == "assertion_claims"


def test_cloudflare_default_key_url() -> None:
    verifier = cloudflare_access(team_domain=TEAM, audience=[TAG, "a" * 64])
    assert verifier.keys_location == f"https://{TEAM}/cdn-cgi/access/certs"
    assert verifier.audience == (TAG, "a" * 64)


# -- Google IAP ---------------------------------------------------------------------------------

IAP_AUDIENCE = "/projects/123456789012/global/backendServices/4567890123456789"


def iap_claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "aud": IAP_AUDIENCE,
        "email": "alice@example.com",
        "exp": NOW + DAY,
        "iat": NOW,
        "hd": "example.com",
        "iss": "https://cloud.google.com/iap",
        "sub": "accounts.google.com:118004218567342953513",
    }
    base.update(overrides)
    return base


def test_google_iap_with_its_pem_map(server: KeyServer) -> None:
    iap_key = ec_key("0oeLcQ")
    server.serve_json("/iap/verify/public_key", {"0oeLcQ": iap_key.pem(), "2nMJtw": EC.pem()})
    verifier = google_iap(audience=IAP_AUDIENCE, pem_map_url=server.url("/iap/verify/public_key"))
    assert (verifier.header, verifier.issuer) == (
        "X-Goog-IAP-JWT-Assertion",
        "https://cloud.google.com/iap",
    )
    assertion = verifier.verify(iap_key.sign(iap_claims()))
    assert assertion.username == "alice@example.com"
    assert assertion.claims["hd"] == "example.com"
    app_engine = "/projects/123456789012/apps/my-project"
    assert reason(verifier, iap_key.sign(iap_claims(aud=app_engine))) == "assertion_audience"
    assert reason(verifier, iap_key.sign(iap_claims(iss="https://x"))) == "assertion_issuer"


def test_google_iap_default_keys() -> None:
    verifier = google_iap(audience="/projects/123456789012/apps/my-project")
    assert verifier.keys_location == "https://www.gstatic.com/iap/verify/public_key"


# -- AWS ALB ------------------------------------------------------------------------------------

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188"
COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123"
ALB_KID = str(uuid.uuid4())
ALB_KEY = ec_key(ALB_KID)


def alb_header(**overrides: Any) -> dict[str, Any]:
    base = {
        "typ": "JWT",
        "kid": ALB_KID,
        "alg": "ES256",
        "iss": COGNITO,
        "client": "client-1",
        "signer": ARN,
        "exp": NOW + DAY,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


ALB_CLAIMS = {
    "sub": "a1b2c3",
    "email_verified": "true",
    "email": "alice@example.com",
    "username": "alice",
    "exp": NOW + DAY,
    "iss": COGNITO,
}


@pytest.fixture
def alb(server: KeyServer) -> AssertionVerifier:
    server.serve(f"/{ALB_KID}", ALB_KEY.pem().encode())
    return aws_alb(arn=ARN, issuer=COGNITO, client_id="client-1", pem_key_base_url=server.url("/"))


def test_aws_alb_padded_token(alb: AssertionVerifier, server: KeyServer) -> None:
    token = alb_token(ALB_KEY, alb_header(), ALB_CLAIMS)
    assert "=" in token  # the padding ALB keeps
    assertion = alb.verify(token)
    assert (assertion.username, assertion.email, assertion.groups) == (
        "alice@example.com",
        "alice@example.com",
        (),
    )
    assert assertion.expires_at == NOW + DAY
    assert alb.header == "X-Amzn-Oidc-Data"
    assert server.count(f"/{ALB_KID}") == 1


@pytest.mark.parametrize(
    ("header", "payload", "expected"),
    [
        pytest.param(
            alb_header(signer=ARN.replace("my-alb", "other")),
            ALB_CLAIMS,
            "assertion_audience",
            id="wrong-signer",
        ),
        pytest.param(alb_header(signer=None), ALB_CLAIMS, "assertion_audience", id="no-signer"),
        pytest.param(alb_header(client="other"), ALB_CLAIMS, "assertion_audience", id="client"),
        pytest.param(alb_header(iss="https://evil"), ALB_CLAIMS, "assertion_issuer", id="iss"),
        pytest.param(alb_header(iss=None), ALB_CLAIMS, "assertion_issuer", id="no-iss"),
        pytest.param(
            alb_header(), {**ALB_CLAIMS, "iss": "https://evil"}, "assertion_issuer", id="body-iss"
        ),
        pytest.param(alb_header(exp=NOW - 600), ALB_CLAIMS, "assertion_expired", id="expired"),
        pytest.param(
            alb_header(), {**ALB_CLAIMS, "exp": NOW - 600}, "assertion_expired", id="body-expired"
        ),
        pytest.param(alb_header(exp=None), ALB_CLAIMS, "assertion_claims", id="no-exp"),
        pytest.param(alb_header(exp="soon"), ALB_CLAIMS, "assertion_claims", id="exp-text"),
        pytest.param(alb_header(exp=True), ALB_CLAIMS, "assertion_claims", id="exp-bool"),
        pytest.param(alb_header(alg="RS256"), ALB_CLAIMS, "assertion_algorithm", id="alg"),
        pytest.param(
            alb_header(), {**ALB_CLAIMS, "email": None}, "assertion_claims", id="no-email"
        ),
    ],
)
def test_aws_alb_refusals(
    alb: AssertionVerifier, header: dict[str, Any], payload: dict[str, Any], expected: str
) -> None:
    assert reason(alb, alb_token(ALB_KEY, header, payload)) == expected


def test_aws_alb_wrong_signer_fetches_nothing(alb: AssertionVerifier, server: KeyServer) -> None:
    foreign = alb_token(
        ALB_KEY, alb_header(signer=ARN.replace("123456789012", "999999999999")), ALB_CLAIMS
    )
    assert reason(alb, foreign) == "assertion_audience"
    assert server.count() == 0


def test_aws_alb_signature_covers_the_padded_text(alb: AssertionVerifier) -> None:
    token = alb_token(ALB_KEY, alb_header(), ALB_CLAIMS)
    head, body, signature = token.split(".")
    unpadded = f"{head.rstrip('=')}.{body.rstrip('=')}.{signature}"
    assert reason(alb, unpadded) == "assertion_signature"
    forged = alb_token(ec_key(ALB_KID), alb_header(), ALB_CLAIMS)
    assert reason(alb, forged) == "assertion_signature"
    tampered_body = b64(b'{"email":"mallory@example.com","exp":9999999999}', padded=True)
    assert reason(alb, f"{head}.{tampered_body}.{signature}") == "assertion_signature"


def test_padded_segments_are_refused_by_other_presets(server: KeyServer) -> None:
    server.serve_json("/jwks", jwks(EC))
    verifier = pomerium(host="app.example.com", jwks_url=server.url("/jwks"))
    token = alb_token(EC, {"alg": "ES256", "kid": EC.kid}, pomerium_claims())
    assert "=" in token
    assert reason(verifier, token) == "assertion_malformed"


def test_aws_alb_without_client_check(server: KeyServer) -> None:
    server.serve(f"/{ALB_KID}", ALB_KEY.pem().encode())
    verifier = aws_alb(arn=[ARN], issuer=COGNITO, pem_key_base_url=server.url(""))
    assert verifier.client_id is None
    token = alb_token(ALB_KEY, alb_header(client="any"), ALB_CLAIMS)
    assert verifier.verify(token).username == "alice@example.com"


@pytest.mark.parametrize(
    ("arn", "url"),
    [
        pytest.param(ARN, "https://public-keys.auth.elb.eu-west-1.amazonaws.com", id="aws"),
        pytest.param(
            ARN.replace("arn:aws:", "arn:aws-us-gov:").replace("eu-west-1", "us-gov-west-1"),
            "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1",
            id="govcloud",
        ),
    ],
)
def test_aws_alb_key_url_of_the_region(arn: str, url: str) -> None:
    assert aws_alb(arn=arn, issuer=COGNITO).keys_location == url


# -- authentik --------------------------------------------------------------------------------


def authentik_claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "iss": "https://authentik.example.com/application/o/wiki/",
        "sub": "f5e2b7c0d1",
        "aud": "client-abc",
        "exp": NOW + DAY,
        "iat": NOW,
        "auth_time": NOW,
        "acr": "goauthentik.io/providers/oauth2/default",
        "email": "alice@example.com",
        "email_verified": True,
        "name": "Alice",
        "given_name": "Alice",
        "preferred_username": "alice",
        "nickname": "alice",
        "groups": ["authentik Admins", "wiki-editors"],
    }
    base.update(overrides)
    return base


def test_authentik(server: KeyServer) -> None:
    key = rsa_key("authentik-key")
    server.serve_json("/application/o/wiki/jwks/", jwks(key))
    verifier = authentik(
        base_url="https://authentik.example.com/",
        slug="wiki",
        client_id="client-abc",
        jwks_url=server.url("/application/o/wiki/jwks/"),
    )
    assert verifier.header == "X-authentik-jwt"
    assertion = verifier.verify(key.sign(authentik_claims()))
    assert (assertion.username, assertion.name, assertion.groups) == (
        "alice",
        "Alice",
        ("authentik Admins", "wiki-editors"),
    )
    other = key.sign(authentik_claims(aud="another-provider"))
    assert reason(verifier, other) == "assertion_audience"
    # A provider without a signing key signs with its client secret: refused.
    hs256 = hmac_token(b"client-secret", {"alg": "HS256", "kid": "x"}, authentik_claims())
    assert reason(verifier, hs256) == "assertion_algorithm"


def test_authentik_defaults() -> None:
    verifier = authentik(base_url="https://auth.example.com", slug="wiki", client_id="abc")
    assert verifier.issuer == "https://auth.example.com/application/o/wiki/"
    assert verifier.keys_location == "https://auth.example.com/application/o/wiki/jwks/"
    custom = authentik(
        base_url="https://auth.example.com",
        slug="wiki",
        client_id="abc",
        issuer="https://auth.example.com/",
    )
    assert custom.issuer == "https://auth.example.com/"


# -- Teleport ---------------------------------------------------------------------------------


def test_teleport_tokens_without_kid(server: KeyServer) -> None:
    old = rsa_key("", fresh=True)
    current = rsa_key("")
    document = {
        "keys": [{**key.jwk(), "kid": "", "alg": "RS256", "use": "sig"} for key in (old, current)]
    }
    server.serve_json("/.well-known/jwks.json", document)
    verifier = teleport(
        proxy="teleport.example.com:3080",
        cluster_name="example",
        app_uri="http://127.0.0.1:34679",
        jwks_url=server.url("/.well-known/jwks.json"),
    )
    claims = {
        "aud": ["http://127.0.0.1:34679"],
        "iss": "example",
        "nbf": NOW,
        "sub": "alice",
        "username": "alice",
        "roles": ["access", "editor"],
        "traits": {"logins": ["root"]},
        "exp": NOW + DAY,
    }
    for key in (old, current):
        assertion = verifier.verify(key.sign(claims, kid=False))
        assert (assertion.username, assertion.groups, assertion.key_id) == (
            "alice",
            ("access", "editor"),
            None,
        )
    assert (
        reason(verifier, rsa_key("", fresh=True).sign(claims, kid=False)) == "assertion_signature"
    )
    assert (
        reason(verifier, current.sign({**claims, "iss": "other"}, kid=False)) == "assertion_issuer"
    )


def test_teleport_default_key_url() -> None:
    verifier = teleport(proxy="teleport.example.com:3080", cluster_name="c", app_uri="http://a")
    assert verifier.keys_location == "https://teleport.example.com:3080/.well-known/jwks.json"


# -- OpenID Connect id_token (oauth2-proxy) ----------------------------------------------------


def test_oidc_bearer(server: KeyServer) -> None:
    key = rsa_key("idp-key")
    server.serve_json("/jwks", jwks(key))
    verifier = oidc(
        issuer="https://idp.example", client_id="oauth2-proxy", jwks_url=server.url("/jwks")
    )
    assert (verifier.header, verifier.bearer) == ("Authorization", True)
    token = key.sign(
        {
            "iss": "https://idp.example",
            "aud": "oauth2-proxy",
            "exp": NOW + DAY,
            "iat": NOW,
            "sub": "248289761001",
            "email": "alice@example.com",
            "groups": ["staff"],
        }
    )
    assertion = verifier.verify(f"Bearer {token}")
    assert (assertion.username, assertion.groups) == ("248289761001", ("staff",))
    assert reason(verifier, token) == "assertion_malformed"  # no Bearer scheme


def test_oidc_other_header() -> None:
    verifier = oidc(
        issuer="https://idp.example",
        client_id="vouch",
        jwks_url="https://idp.example/jwks",
        header="X-Vouch-IdP-IdToken",
    )
    assert (verifier.header, verifier.bearer) == ("X-Vouch-IdP-IdToken", False)


# -- parameter checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "options", "message"),
    [
        pytest.param(pomerium, {"host": ""}, "host must be a non-empty string", id="pom-empty"),
        pytest.param(pomerium, {"host": "app.example.com:443"}, "must be a host name", id="port"),
        pytest.param(pomerium, {"host": "https://a.example/x"}, "must be a host name", id="path"),
        pytest.param(pomerium, {"host": "bad_host"}, "must be a host name", id="underscore"),
        pytest.param(pomerium, {"host": "-a.example"}, "must be a host name", id="dash"),
        pytest.param(
            pomerium, {"host": "a.example", "issuer_format": "full"}, "issuer_format", id="format"
        ),
        pytest.param(
            pomerium,
            {"host": "a.example", "header": "X-Other"},
            "the pomerium preset sets header itself",
            id="owned",
        ),
        pytest.param(
            pomerium, {"host": "a.example", "lee_way": 3}, "unknown option lee_way", id="typo"
        ),
        pytest.param(
            pomerium, {"host": "a.example", "algorithms": ["HS256"]}, "HMAC", id="pom-hmac"
        ),
        pytest.param(
            cloudflare_access, {"team_domain": "team", "audience": "x"}, "AUD tag", id="cf-short"
        ),
        pytest.param(
            cloudflare_access,
            {"team_domain": "team", "audience": TAG.upper()},
            "AUD tag",
            id="cf-up",
        ),
        pytest.param(
            cloudflare_access, {"team_domain": "a b", "audience": TAG}, "host name", id="cf-host"
        ),
        pytest.param(
            cloudflare_access, {"team_domain": TEAM, "audience": []}, "not be empty", id="cf-none"
        ),
        pytest.param(
            google_iap, {"audience": "projects/1/apps/x"}, "/projects/<PROJECT_NUMBER>", id="slash"
        ),
        pytest.param(
            google_iap,
            {"audience": "/projects/my-project/apps/my-project"},
            "project number",
            id="id",
        ),
        pytest.param(
            google_iap, {"audience": "/projects/123"}, "/projects/<PROJECT_NUMBER>", id="short"
        ),
        pytest.param(google_iap, {"audience": 123}, "list of strings", id="iap-int"),
        pytest.param(
            aws_alb, {"arn": "arn:aws:elb", "issuer": COGNITO}, "load balancer ARN", id="arn"
        ),
        pytest.param(
            aws_alb,
            {"arn": ARN.replace("eu-west-1", "europe"), "issuer": COGNITO},
            "load balancer ARN",
            id="region",
        ),
        pytest.param(
            aws_alb,
            {"arn": ARN.replace("loadbalancer/app", "loadbalancer/net"), "issuer": COGNITO},
            "load balancer ARN",
            id="nlb",
        ),
        pytest.param(
            aws_alb,
            {"arn": [ARN, ARN.replace("eu-west-1", "us-east-1")], "issuer": COGNITO},
            "one region",
            id="regions",
        ),
        pytest.param(
            aws_alb,
            {
                "arn": ARN.replace("arn:aws:", "arn:aws-cn:").replace("eu-west-1", "cn-north-1"),
                "issuer": COGNITO,
            },
            "give pem_key_base_url",
            id="china",
        ),
        pytest.param(aws_alb, {"arn": ARN, "issuer": ""}, "issuer must be", id="alb-issuer"),
        pytest.param(
            authentik,
            {"base_url": "http://auth.example.com", "slug": "a", "client_id": "c"},
            "must use https",
            id="ak-http",
        ),
        pytest.param(
            authentik,
            {"base_url": "https://auth.example.com", "slug": "a/b", "client_id": "c"},
            "slug must be",
            id="ak-slug",
        ),
        pytest.param(
            authentik,
            {"base_url": "https://auth.example.com", "slug": "a", "client_id": ""},
            "audience must be",
            id="ak-client",
        ),
        pytest.param(
            teleport,
            {"proxy": "t.example:99999", "cluster_name": "c", "app_uri": "u"},
            r"host name\[:port\]",
            id="tp-port",
        ),
        pytest.param(
            teleport,
            {"proxy": "t.example:x", "cluster_name": "c", "app_uri": "u"},
            r"host name\[:port\]",
            id="tp-x",
        ),
        pytest.param(
            oidc,
            {"issuer": "i", "client_id": "c", "jwks_url": "https://i/j", "header": 5},
            "header must be",
            id="oidc-header",
        ),
    ],
)
def test_preset_parameters(factory: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        factory(**options)


# -- settings: plain values -------------------------------------------------------------------


def test_verifier_from_options_with_a_preset(server: KeyServer) -> None:
    server.serve_json("/jwks", jwks(EC))
    verifier = verifier_from_options(
        {
            "preset": "pomerium",
            "host": "app.example.com",
            "jwks_url": server.url("/jwks"),
            "leeway": 5,
        }
    )
    assert verifier.leeway == 5
    assert verifier.verify(EC.sign(pomerium_claims())).username == "user-123"


def test_verifier_from_options_plain() -> None:
    verifier = verifier_from_options(
        {
            "header": "X-Token",
            "issuer": "i",
            "audience": ["a"],
            "algorithms": ["ES256"],
            "jwks": jwks(EC),
            "claims": {"username": "email"},
        }
    )
    assert (verifier.header, dict(verifier.claims)["username"]) == ("X-Token", "email")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(["pomerium"], "must be a dict, not list", id="not-a-dict"),
        pytest.param({"preset": "nginx"}, "unknown assertion preset 'nginx'", id="unknown"),
        pytest.param({"preset": 3}, "unknown assertion preset 3", id="preset-int"),
        pytest.param(
            {"preset": "pomerium"},
            r"missing a required (keyword-only )?argument: 'host'",
            id="missing",
        ),
        pytest.param({"header": "X-T"}, "missing a required argument", id="plain-missing"),
        pytest.param(
            {
                "header": "X",
                "issuer": "i",
                "audience": "a",
                "algorithms": ["ES256"],
                "jwks": {},
                "ttl": 3,
            },
            "unexpected keyword argument 'ttl'",
            id="plain-unknown",
        ),
    ],
)
def test_verifier_from_options_refuses(options: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        verifier_from_options(options)

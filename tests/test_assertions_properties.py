"""Property-based tests of the verifier: for any input, a verified assertion whose
invariants hold, or ``InvalidAssertion`` with an ``assertion_*`` reason. Any other
exception (a 500 in the application) is a bug."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remote_identity.assertions import AssertionVerifier, InvalidAssertion, VerifiedAssertion
from remote_identity.errors import REASONS
from tests.assertion_support.signing import alb_token, b64, ec_key, jwks, rsa_key

EC = ec_key("ec-1")
RSA = rsa_key("rsa-1")
ALGORITHMS = ["ES256", "RS256", "PS256"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def verifier(**options: Any) -> AssertionVerifier:
    base: dict[str, Any] = {
        "header": "X-Test-Assertion",
        "issuer": "https://issuer.example",
        "audience": "app",
        "algorithms": ALGORITHMS,
        "jwks": jwks(EC, RSA),
    }
    base.update(options)
    return AssertionVerifier(**base)


PLAIN = verifier()
BEARER = verifier(header="Authorization", bearer=True)
ALB = verifier(
    profile="aws-alb",
    audience="arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/0123456789abcdef",
    algorithms=["ES256"],
)


def outcome(target: AssertionVerifier, token: object) -> VerifiedAssertion | None:
    refusal: InvalidAssertion | None = None
    try:
        result = target.verify(token)  # type: ignore[arg-type]
    except InvalidAssertion as error:
        refusal = error
    if refusal is not None:
        assert refusal.reason.startswith("assertion_")
        assert refusal.reason in REASONS
        assert refusal.header == target.header
        return None
    assert isinstance(result.username, str)
    assert result.username.strip()
    assert result.name is None or isinstance(result.name, str)
    assert result.email is None or isinstance(result.email, str)
    assert all(isinstance(group, str) for group in result.groups)
    return result


@SETTINGS
@given(st.one_of(st.text(), st.binary(), st.text(alphabet="AZaz09-_.= ")))
def test_arbitrary_input(value: str | bytes) -> None:
    for target in (PLAIN, BEARER, ALB):
        assert outcome(target, value) is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from(["ES256", "RS256", "PS256", "HS256", "none", "EdDSA"]) | JSON,
        "kid": st.sampled_from(["ec-1", "rsa-1", "", "other"]) | JSON,
        "crit": JSON,
        "b64": st.booleans() | JSON,
        "jku": st.just("http://127.0.0.1:9/jwks"),
        "signer": JSON,
        "exp": JSON,
    },
)


@SETTINGS
@given(HEADERS, JSON, st.binary(max_size=600), st.booleans())
def test_well_shaped_forgeries(
    header: dict[str, Any], payload: Any, signature: bytes, padded: bool
) -> None:
    """Tokens that pass the shape check: any header, any payload, any signature."""
    encode = json.dumps(header).encode(), json.dumps(payload).encode(), signature
    token = ".".join(b64(part, padded=padded) for part in encode)
    for target in (PLAIN, ALB):
        assert outcome(target, token) is None


CLAIM_VALUES = JSON | st.integers(min_value=-(2**70), max_value=2**70)
NOW = int(time.time())
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.just("https://issuer.example") | CLAIM_VALUES,
        "aud": st.sampled_from(["app", ["app"], ["x", "app"]]) | CLAIM_VALUES,
        "exp": st.just(NOW + 86400) | CLAIM_VALUES,
        "nbf": st.just(NOW - 10) | CLAIM_VALUES,
        "iat": st.just(NOW) | CLAIM_VALUES,
        "sub": st.text() | CLAIM_VALUES,
        "jti": st.text() | CLAIM_VALUES,
        "email": st.text() | CLAIM_VALUES,
        "name": st.text() | CLAIM_VALUES,
        "groups": st.lists(st.text()) | CLAIM_VALUES,
    },
)


@SETTINGS
@given(CLAIMS)
def test_signed_tokens_with_any_claims(claims: dict[str, Any]) -> None:
    """The signer is genuine, the claims arbitrary: still never an unexpected exception,
    and a success only for claims that really are valid."""
    result = outcome(PLAIN, EC.sign(claims))
    if result is not None:
        assert claims["iss"] == "https://issuer.example"
        assert result.username == claims["sub"]
        assert result.expires_at > time.time() - 60


@SETTINGS
@given(CLAIMS, st.dictionaries(st.sampled_from(["iss", "exp", "signer", "client"]), JSON))
def test_signed_alb_tokens_with_any_header(claims: dict[str, Any], extra: dict[str, Any]) -> None:
    header = {"alg": "ES256", "kid": "ec-1", **extra}
    result = outcome(ALB, alb_token(EC, header, claims))
    if result is not None:
        assert header["signer"] in ALB.audience
        assert header["iss"] == "https://issuer.example"

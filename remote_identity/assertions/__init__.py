"""Signed identity assertions: verify the proxy's JWT instead of trusting the network.

``AssertionVerifier`` checks a token's signature against keys fetched only from a pinned
location, its issuer, audience and validity period, and maps its claims to the identity
fields. The presets (:mod:`remote_identity.assertions.presets`) configure it for
Pomerium, Cloudflare Access, Google IAP, AWS ALB, authentik, Teleport and OpenID Connect
id_tokens. Verification needs the ``jwt`` extra (``pip install 'remote-identity[jwt]'``);
this package imports without it.
"""

from __future__ import annotations

from ..errors import InvalidAssertion as InvalidAssertion
from .claims import DEFAULT_CLAIMS as DEFAULT_CLAIMS
from .claims import VerifiedAssertion as VerifiedAssertion
from .presets import PRESETS as PRESETS
from .presets import authentik as authentik
from .presets import aws_alb as aws_alb
from .presets import cloudflare_access as cloudflare_access
from .presets import google_iap as google_iap
from .presets import oidc as oidc
from .presets import pomerium as pomerium
from .presets import teleport as teleport
from .presets import verifier_from_options as verifier_from_options
from .verifier import AssertionVerifier as AssertionVerifier

__all__ = [
    "DEFAULT_CLAIMS",
    "PRESETS",
    "AssertionVerifier",
    "InvalidAssertion",
    "VerifiedAssertion",
    "authentik",
    "aws_alb",
    "cloudflare_access",
    "google_iap",
    "oidc",
    "pomerium",
    "teleport",
    "verifier_from_options",
]

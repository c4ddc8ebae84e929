"""Per-request cost of signed mode, as ratios to the unsigned trusted-header path.

Run: ``python -m benchmarks.assertion_cost`` (``--quick`` for a short run); ``scripts/bench``
runs it as part of the whole suite.

Every variant is the core's WSGI middleware around the same bare application, called
in-process. The baseline is the trusted-header path: Authelia's four headers from a
trusted proxy (the identity of the WSGI table). The signed variants carry the same
identity in an ES256 token (``X-Pomerium-Jwt-Assertion``; no network is involved: the
cached paths read their keys from a JWKS file, re-read when its time to live ends as a
URL would be, the first verifications from a JWKS given in the configuration):

- the cached-token path: the token was verified before (a browser sends the same one
  with every request), with no trusted proxies (the signature alone decides), and with
  the proxy's address trusted too (both must hold);
- the first verification, per algorithm (ES256, RS256 2048-bit, EdDSA): the token cache
  off, so every request checks the signature and makes the identity from the claims,
  what the first request with a new token costs.

Servers hand every request new strings, whose hashes are not computed yet; the lookups
of both paths (the parse cache's key, the token cache's) pay for hashing them. So each
sample runs on environs built before the clock starts, each with new copies of the
header values: the copies cost nothing timed, the hashing is timed as on a server. The
garbage collector runs before the clock starts and is off while it runs: it would walk
those thousands of new environs at random. The variants are interleaved round by round
(``rounds.py``); each figure is the median of the rounds, and each ratio the median of
the per-round ratios to the baseline, so drift on a shared machine hits all variants
alike. The security log is live, as in the WSGI benchmark.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from remote_identity.wsgi import RemoteIdentityMiddleware

if __package__ in (None, ""):  # run as a script: benchmarks/ is not a package then
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.rounds import interleave, median, paired_ratio
from benchmarks.wsgi_overhead import (
    BASE,
    GROUPS,
    IDENTITY_HEADERS,
    PROXY,
    TRUSTED,
    bare_app,
    live_security_log,
)

Environ = dict[str, Any]
App = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]

HEADER = "X-Pomerium-Jwt-Assertion"
KEY = "HTTP_X_POMERIUM_JWT_ASSERTION"
HOST = "app.example.com"
BASELINE = "trusted-header path (unsigned)"
CACHED = "signed, cached token"
CACHED_PROXY = "signed, cached token, proxy address trusted too"
ALGORITHMS = ("ES256", "RS256", "EdDSA")
#: Rounds, and calls per round, of a full run.
ROUNDS = 15
LOOPS = 10_000


def first(algorithm: str) -> str:
    return f"signed, first verification, {algorithm}"


def _key(algorithm: str) -> tuple[Any, dict[str, Any]]:
    """A private key and its public JWK for ``algorithm``."""
    if algorithm == "ES256":
        private: Any = ec.generate_private_key(ec.SECP256R1())
        public = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        private = ed25519.Ed25519PrivateKey.generate()
        public = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return private, {**public, "kid": algorithm.lower(), "alg": algorithm}


def _token(private: Any, algorithm: str) -> str:
    """The identity of the header path, as a token valid for a day."""
    now = int(time.time())
    claims = {
        "iss": HOST,
        "aud": HOST,
        "iat": now,
        "exp": now + 86400,
        "sub": "alice",
        "email": "alice@example.com",
        "name": "Jörn Müller",
        "groups": GROUPS.split(","),
    }
    return jwt.encode(claims, private, algorithm=algorithm, headers={"kid": algorithm.lower()})


def _middleware(keys: dict[str, Any], algorithm: str, **options: Any) -> App:
    """The middleware verifying ``algorithm`` tokens; ``keys`` is the key source and any
    other verifier option, the other ``options`` are the gate's."""
    assertion = {"preset": "pomerium", "host": HOST, "algorithms": [algorithm], **keys}
    return RemoteIdentityMiddleware(bare_app, assertion=assertion, **options)


def _jwks_file(jwk: dict[str, Any]) -> str:
    """A JWKS file holding ``jwk``, left for the process's temporary files."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump({"keys": [jwk]}, file)
    return file.name


def variants() -> dict[str, tuple[App, Environ]]:
    """Every variant: the application and the environ it gets."""
    keys = {algorithm: _key(algorithm) for algorithm in ALGORITHMS}
    tokens = {algorithm: _token(keys[algorithm][0], algorithm) for algorithm in ALGORITHMS}
    es256 = {"jwks_file": _jwks_file(keys["ES256"][1])}

    def signed(algorithm: str) -> Environ:
        return {**BASE, "REMOTE_ADDR": PROXY, KEY: tokens[algorithm]}

    found: dict[str, tuple[App, Environ]] = {
        "bare app": (bare_app, {**BASE, "REMOTE_ADDR": PROXY, **IDENTITY_HEADERS}),
        BASELINE: (
            RemoteIdentityMiddleware(bare_app, trusted_proxies=TRUSTED),
            {**BASE, "REMOTE_ADDR": PROXY, **IDENTITY_HEADERS},
        ),
        CACHED: (_middleware(es256, "ES256"), signed("ES256")),
        CACHED_PROXY: (_middleware(es256, "ES256", trusted_proxies=TRUSTED), signed("ES256")),
    }
    for algorithm in ALGORITHMS:
        uncached = {"jwks": {"keys": [keys[algorithm][1]]}, "token_cache_size": 0}
        app = _middleware(uncached, algorithm)
        found[first(algorithm)] = (app, signed(algorithm))
    return found


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def _new(value: object) -> object:
    """An equal string that is a new object (its hash not computed yet), as a server's."""
    return value[:-1] + value[-1:] if isinstance(value, str) and value else value


def measure(app: App, environ: Environ, loops: int) -> float:
    """Nanoseconds per call of ``app`` on ``loops`` environs built beforehand, each with
    new copies of the header values."""
    environs = [
        {
            name: _new(value) if name.startswith("HTTP_") else value
            for name, value in environ.items()
        }
        for _ in range(loops)
    ]
    # The environs built above are thousands of young containers: a garbage collection
    # in the timed loop would walk them, at random. Collect first, then keep it off.
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter_ns()
        for one in environs:
            app(one, start_response)
        return (time.perf_counter_ns() - started) / loops
    finally:
        gc.enable()


def collect(rounds: int, loops: int) -> dict[str, list[float]]:
    """Nanoseconds per request of every variant, one sample per round, interleaved.

    A first verification costs a hundred times more: those variants make a twentieth of
    ``loops`` calls per round.
    """
    with live_security_log():
        apps = variants()
        for app, environ in apps.values():
            measure(app, environ, 20)  # warm caches: the token is verified once here
        return interleave(
            {
                name: functools.partial(
                    measure, app, environ, loops // 20 if "first" in name else loops
                )
                for name, (app, environ) in apps.items()
            },
            rounds,
            warmup=False,
        )


def ratios(samples: dict[str, list[float]]) -> dict[str, float]:
    """Each signed variant's per-request time over the baseline's (paired, median)."""
    return {
        name: paired_ratio(values, samples[BASELINE]).value
        for name, values in samples.items()
        if name.startswith("signed")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--loops", type=int, default=LOOPS)
    parser.add_argument("--quick", action="store_true", help="5 rounds of 2,000 calls")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.loops = 5, 2_000
    samples = collect(args.rounds, args.loops)
    found = ratios(samples)
    print(f"{'variant':<52} {'ns/request':>11} {'ratio':>7}")
    for name, values in samples.items():
        ratio = f"{found[name]:.2f}" if name in found else "-"
        print(f"{name:<52} {median(values):>11.0f} {ratio:>7}")


if __name__ == "__main__":
    main()

"""The attack suite: every attack, through every proxy and straight at every server.

Each case asserts on what the example site actually saw (``/whoami.json``): the attacker
is never anybody but the user signed in at the sign-in front (or nobody), never gains a
group, and never causes a 500. The outcome of every case is also collected in the
attack matrix printed at the end of the run.

The signing recipe (``nginx-signed``) runs every attack too, and the signed-assertion
attacks: under gunicorn the application trusts the proxy's address as well (both must
hold), under uvicorn the signature alone decides.
"""

from __future__ import annotations

import pytest

from .harness.attacks import (
    ASSERTION_ATTACKS,
    ATTACKS,
    JSON,
    PUBLIC_JSON,
    SPOOF,
    VICTIM,
    AssertionAttack,
    Attack,
)
from .harness.client import Response, request
from .harness.matrix import Matrix
from .harness.net import ATTACKER, LISTEN, PROXY_SOURCE
from .harness.recipes import SECRET_HEADER, SECRET_VALUE
from .harness.stacks import ALL_STACKS, SIGNED_STACKS, Stack
from .harness.tokens import HEADER, Tokens
from .harness.whoami import Seen

pytestmark = pytest.mark.e2e

STACKS = [pytest.param(spec, id=spec.id) for spec in (*ALL_STACKS, *SIGNED_STACKS)]
SIGNING_STACKS = [pytest.param(spec, id=spec.id) for spec in SIGNED_STACKS]
SECRET_STACKS = [pytest.param(spec, id=spec.id) for spec in ALL_STACKS if spec.secret]
PLAIN_STACKS = [pytest.param(spec, id=spec.id) for spec in ALL_STACKS if not spec.secret]
CADDY_STACKS = [pytest.param(spec, id=spec.id) for spec in ALL_STACKS if spec.proxy == "caddy"]
REFUSED = (400, 431)  # what a proxy or server may answer to malformed HTTP
# Caddy 2.6 sends this text when Authelia's answer lacks the header (no user): harmless.
CADDY_PLACEHOLDER = "{http.reverse_proxy.header.Remote-User}"


def outcome(response: Response) -> str:
    """A short description of a response for the attack matrix."""
    if response.status == 200 and response.header("Content-Type") == "application/json":
        return Seen.parse(response).summary()
    return str(response.status)


def assert_never_escalated(response: Response, allowed_user: str | None, groups: set[str]) -> None:
    """The invariant of every case: no 500, nobody but ``allowed_user``, no new group."""
    assert response.status < 500, f"server error {response.status}: {response.body[:300]!r}"
    if response.status != 200:
        return
    seen = Seen.parse(response)
    assert seen.username in (None, allowed_user), seen
    assert set(seen.groups) <= groups, seen
    assert not seen.is_superuser, seen
    assert seen.remote_user in (None, allowed_user, CADDY_PLACEHOLDER), seen


@pytest.mark.parametrize("stack", STACKS, indirect=True, scope="session")
@pytest.mark.parametrize("channel", ["via-proxy", "direct"])
@pytest.mark.parametrize("attack", [pytest.param(a, id=a.id) for a in ATTACKS])
def test_attack(stack: Stack, channel: str, attack: Attack, matrix: Matrix) -> None:
    front = stack.front
    victim_groups = set(front.groups(VICTIM))
    if channel == "via-proxy":
        cookies = front.sign_in(VICTIM) if attack.signed_in else None
        response = request(
            stack.proxy_port,
            attack.path,
            headers=[("Accept", "text/html"), *attack.headers],
            cookies=cookies,
            source=ATTACKER,
        )
    else:
        response = request(stack.app_port, attack.path, headers=attack.headers, source=ATTACKER)
    matrix.record(f"{stack.spec.id} {channel}", attack.id, outcome(response))

    signed_in = channel == "via-proxy" and attack.signed_in
    assert_never_escalated(response, VICTIM if signed_in else None, victim_groups)
    if attack.malformed and response.status in REFUSED:
        return
    if channel == "via-proxy" and not signed_in and attack.path == JSON:
        # Not signed in, on a protected path: the proxy sends the browser to sign in.
        assert response.status == 302, response
        assert (response.header("Location") or "").startswith(f"http://{LISTEN}:{front.port}/")
        return
    seen = Seen.parse(response)
    if signed_in:
        assert (seen.username, set(seen.groups)) == (VICTIM, victim_groups), seen
        assert seen.outcome == "identity", seen
    else:
        assert seen.username is None, seen
        assert seen.outcome == "anonymous", seen
    if channel == "direct":
        assert (seen.peer, seen.trusted) == (ATTACKER, False), seen


@pytest.mark.parametrize("stack", PLAIN_STACKS, indirect=True, scope="session")
def test_the_proxy_address_is_believed(stack: Stack) -> None:
    """Control: the same headers from the trusted address do sign a user in, so the
    attacks above fail because of the trust decision, not because nothing works."""
    response = request(
        stack.app_port,
        JSON,
        headers=[("Remote-User", "carol"), ("Remote-Groups", "")],
        source=stack.spec.trusted,
    )
    seen = Seen.parse(response)
    assert (seen.username, seen.trusted, seen.peer) == ("carol", True, PROXY_SOURCE)


@pytest.mark.parametrize("stack", SECRET_STACKS, indirect=True, scope="session")
@pytest.mark.parametrize(
    ("secret", "believed"),
    [
        pytest.param(None, False, id="no-secret"),
        pytest.param("x" * len(SECRET_VALUE), False, id="wrong-secret"),
        pytest.param(SECRET_VALUE[:-1], False, id="truncated-secret"),
        pytest.param(SECRET_VALUE, True, id="right-secret"),
    ],
)
def test_the_trusted_address_also_needs_the_secret(
    stack: Stack, secret: str | None, believed: bool
) -> None:
    """With a shared secret, another process on the proxy's address is not the proxy."""
    headers = [*SPOOF] + ([(SECRET_HEADER, secret)] if secret is not None else [])
    response = request(stack.app_port, JSON, headers=headers, source=stack.spec.trusted)
    seen = Seen.parse(response)
    assert seen.trusted is believed, seen
    assert seen.username == ("admin" if believed else None), seen
    if not believed:
        assert seen.reason == "bad_secret", seen


@pytest.mark.parametrize("stack", CADDY_STACKS, indirect=True, scope="session")
def test_caddy_placeholder_on_a_bypassed_path_means_nobody(stack: Stack) -> None:
    """Caddy 2.6 sends "{http.reverse_proxy.header.Remote-User}" when Authelia answers
    200 without the header (a bypassed path, nobody signed in): nobody is signed in."""
    response = request(stack.proxy_port, PUBLIC_JSON, source=ATTACKER)
    seen = Seen.parse(response)
    assert seen.remote_user == CADDY_PLACEHOLDER, seen  # the bug is there
    assert (seen.username, seen.outcome, seen.trusted) == (None, "anonymous", True), seen


@pytest.mark.parametrize("stack", STACKS, indirect=True, scope="session")
def test_utf8_identity_through_the_proxy(stack: Stack) -> None:
    """Names and groups in UTF-8 arrive intact, except under granian, which empties every
    non-ASCII header value: the user keeps the username and loses name and groups. (In
    a signed token they are JSON: no server touches them.)"""
    front = stack.front
    response = request(stack.proxy_port, JSON, cookies=front.sign_in("jorn"), source=ATTACKER)
    seen = Seen.parse(response)
    if stack.spec.server == "granian":
        assert (seen.username, seen.name, seen.groups) == ("jorn", "", ()), seen
    else:
        assert (seen.username, seen.name) == ("jorn", "Jörn Müller"), seen
        assert seen.groups == ("editors", "Ünïcode Group"), seen


@pytest.mark.parametrize("stack", PLAIN_STACKS, indirect=True, scope="session")
def test_underscore_spelling_from_the_proxy_address(stack: Stack) -> None:
    """Why the proxy must drop ``Remote_User``: if it forwarded one, granian would let it
    override the proxy's ``Remote-User`` (the last one wins); the other servers (and
    Django under uvicorn) ignore it."""
    response = request(
        stack.app_port,
        JSON,
        headers=[("Remote-User", "bob"), ("Remote_User", "mallory")],
        source=stack.spec.trusted,
    )
    seen = Seen.parse(response)
    assert seen.username == ("mallory" if stack.spec.server == "granian" else "bob"), seen
    if stack.spec.server == "granian":  # and the library says so when it starts
        assert "maps a client's 'Remote_User' header" in stack.app.log()


# -- signed assertions ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", SIGNING_STACKS, indirect=True, scope="session")
@pytest.mark.parametrize("channel", ["via-proxy", "direct"])
@pytest.mark.parametrize("attack", [pytest.param(a, id=a.id) for a in ASSERTION_ATTACKS])
def test_assertion_attack(
    stack: Stack, channel: str, attack: AssertionAttack, matrix: Matrix
) -> None:
    """Forged, replayed and expired tokens, and unsigned headers beside a valid one: the
    proxy puts its own token in their place; sent around it, a bad token is refused with
    its reason and a valid one is believed for what it says, never for the headers."""
    front = stack.front
    assert front.signing_key is not None
    tokens = Tokens(front.signing_key, front.port)
    headers = attack.headers(tokens)
    token = headers[0][1]
    victim_groups = set(front.groups(VICTIM))
    if channel == "via-proxy":
        response = request(
            stack.proxy_port,
            JSON,
            headers=[("Accept", "text/html"), *headers],
            cookies=front.sign_in(VICTIM),
            source=ATTACKER,
        )
    else:
        response = request(stack.app_port, JSON, headers=headers, source=ATTACKER)
    matrix.record(f"{stack.spec.id} {channel}", attack.id, outcome(response))

    allowed = VICTIM if channel == "via-proxy" or not attack.reasons else None
    assert_never_escalated(response, allowed, victim_groups)
    assert (token.encode() if isinstance(token, str) else token) not in response.body
    if attack.malformed and response.status in REFUSED:
        return
    if channel == "via-proxy":
        # The proxy replaced the client's token with the front's own: the signed-in user.
        seen = Seen.parse(response)
        assert (seen.username, set(seen.groups), seen.outcome) == (
            VICTIM,
            victim_groups,
            "identity",
        ), seen
        assert seen.assertion_key is not None, seen
        assert seen.remote_user is None, seen
        return
    if stack.spec.network:
        # Both must hold: any token from an address that is not the proxy is removed.
        seen = Seen.parse(response)
        assert (seen.username, seen.outcome, seen.reason) == (None, "anonymous", "untrusted_peer")
        assert HEADER in seen.stripped, seen
        return
    if attack.reasons:
        assert response.status == 400, response
        reason = response.body.decode().split(":", 2)[1].split()[0]
        assert reason in attack.reasons, response.body
        return
    seen = Seen.parse(response)  # a valid token: believed for what it says, and only that
    assert (seen.username, set(seen.groups), seen.outcome) == (VICTIM, {"editors"}, "identity")
    assert (seen.remote_user, seen.remote_groups) == (None, None), seen
    assert seen.trusted is False, seen  # no address is trusted here: the signature decided


@pytest.mark.parametrize("stack", SIGNING_STACKS, indirect=True, scope="session")
def test_a_valid_token_from_the_proxys_address_is_believed(stack: Stack) -> None:
    """Control: a genuine token from the proxy's address signs its user in (so the
    refusals above come from the checks, not from a broken set-up)."""
    front = stack.front
    assert front.signing_key is not None
    token = Tokens(front.signing_key, front.port).genuine(user="carol", groups=("editors",))
    response = request(stack.app_port, JSON, headers=[(HEADER, token)], source=PROXY_SOURCE)
    seen = Seen.parse(response)
    assert (seen.username, seen.outcome, seen.trusted) == ("carol", "identity", stack.spec.network)

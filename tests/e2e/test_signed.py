"""The signing recipe over time: the front restarted with a new key, the application not.

The front (the signer) restarts with a new signing key, as a proxy does when its key is
rotated. The application, still running, sees a token with an unknown key id, fetches
the front's keys again (at most once per cooldown) and believes the new tokens; a token
signed with the old key, which the front no longer publishes, is refused.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from .harness.attacks import JSON, VICTIM
from .harness.client import request
from .harness.net import ATTACKER, free_port, wait_until
from .harness.signin import SignInFront, start_front, write_signing_key
from .harness.stacks import StackSpec, running_stack
from .harness.tokens import HEADER, Tokens
from .harness.whoami import Seen

pytestmark = pytest.mark.e2e


def seen_through_the_proxy(port: int, front: SignInFront) -> Seen | None:
    """What the site saw of the signed-in victim through the proxy; ``None`` on a 400."""
    response = request(port, JSON, cookies=front.sign_in(VICTIM), source=ATTACKER)
    return None if response.status == 400 else Seen.parse(response)


def test_key_rotation_without_restarting_the_application(
    example_database: str, e2e_dir: Path
) -> None:
    directory = e2e_dir / "rotation"
    logs = e2e_dir / "logs"
    port = free_port()
    old_key = write_signing_key(directory / "old-key.pem")
    new_key = write_signing_key(directory / "new-key.pem")
    spec = StackSpec("nginx-signed", "gunicorn", signed=True, network=False)
    with ExitStack() as cleanup:
        front = start_front(port, directory, logs, signing_key=old_key, name="rotating-front")
        cleanup.callback(front.process.stop)
        stack = cleanup.enter_context(running_stack(spec, front, example_database, directory))
        old = Tokens(old_key, port)
        seen = seen_through_the_proxy(stack.proxy_port, front)
        assert seen is not None
        assert (seen.username, seen.assertion_key) == (VICTIM, old.kid)
        app_pid = stack.app.popen.pid

        front.process.stop()  # the front stops; the same port, a new key
        front = start_front(
            port,
            directory,
            logs,
            signing_key=new_key,
            users_file=front.users_file,
            name="rotated-front",
        )
        cleanup.callback(front.process.stop)
        new = Tokens(new_key, port)
        assert new.kid != old.kid
        # At most one key fetch per cooldown (1 s here): the first new token may come
        # within it, and is refused (assertion_unknown_key) until the cooldown ends.
        seen_after: list[Seen] = []

        def accepted() -> bool:
            seen = seen_through_the_proxy(stack.proxy_port, front)
            seen_after.extend([seen] if seen is not None else [])
            return seen is not None

        wait_until(accepted, timeout=15, what="the application to accept the new key's tokens")
        assert (seen_after[-1].username, seen_after[-1].assertion_key) == (VICTIM, new.kid)
        assert stack.app.popen.pid == app_pid  # not restarted
        assert stack.app.running

        # A token of the old key, which the front no longer publishes, is refused.
        stale = old.genuine()
        response = request(stack.app_port, JSON, headers=[(HEADER, stale)], source=ATTACKER)
        assert response.status == 400, response
        assert b"assertion_unknown_key" in response.body
        assert stale.encode() not in response.body

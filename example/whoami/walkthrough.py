"""Helpers of ``scripts/demo``: wait for the servers, list the demo users, and a
scripted walk-through of the running demo (``scripts/demo --check``).

Run from ``example/`` (or with it on ``PYTHONPATH``)::

    python -m whoami.walkthrough wait --timeout 30 --pid 123 http://127.0.0.1:8001/public/
    python -m whoami.walkthrough users .run/demo/users.yml
    python -m whoami.walkthrough check --proxy http://127.0.0.1:8000 \\
        --app http://127.0.0.1:8001 --portal http://127.0.0.1:9091 --users users.yml

The walk-through edits the users file it is given: give it a copy. With ``--signed`` it
walks through the demo in signed mode (``scripts/demo --signed``): the front signs each
request and the site verifies the signature instead of trusting the front's address.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from .browser import HTML, JSON, Browser, wait_until_up


class StepFailed(Exception):
    """A step of the walk-through did not see what it expected."""


def expect(what: str, got: object, wanted: object) -> None:
    if got != wanted:
        raise StepFailed(f"{what}: expected {wanted!r}, got {got!r}")


def edit_groups(users_file: Path, username: str, change: Callable[[list[str]], list[str]]) -> None:
    """Rewrite one user's groups in the users file, atomically (the front re-reads it)."""
    data = yaml.safe_load(users_file.read_text(encoding="utf-8"))
    entry = data["users"][username]
    entry["groups"] = change(list(entry.get("groups") or []))
    fd, temp = tempfile.mkstemp(dir=users_file.parent, suffix=".yml")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
    os.replace(temp, users_file)


class Walkthrough:
    """The steps, in order; each one prints PASS or FAIL."""

    def __init__(
        self, proxy: str, app: str, portal: str, users_file: Path, *, signed: bool = False
    ) -> None:
        self.proxy, self.app, self.portal = proxy.rstrip("/"), app.rstrip("/"), portal.rstrip("/")
        self.users_file = users_file
        self.signed = signed
        self.browsers: dict[str, Browser] = {}
        self.last_seen: dict[str, Any] = {}

    # -- helpers -----------------------------------------------------------------------
    def sign_in(self, username: str) -> Browser:
        browser = self.browsers[username] = Browser()
        target = self.proxy + "/whoami.json"
        reply = browser.request(
            "POST",
            self.portal + "/",
            form={"username": username, "password": f"{username}-password", "rd": target},
            headers=HTML,
        )
        expect(f"sign-in of {username}: status", reply.status, 303)
        expect(f"sign-in of {username}: redirect", reply.location, target)
        return browser

    def whoami(self, username: str) -> dict[str, Any]:
        reply = self.browsers[username].get(self.proxy + "/whoami.json", JSON)
        expect(f"{username}'s whoami.json: status", reply.status, 200)
        info: dict[str, Any] = reply.json()
        expect("username", info["username"], username)
        return info

    def wait_for(self, username: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 10.0
        while True:
            info = self.whoami(username)
            if ready(info) or time.monotonic() > deadline:
                return info
            time.sleep(0.2)

    # -- the steps ---------------------------------------------------------------------
    def step_spoofed_direct_request(self) -> None:
        """a request around the front with Remote-User: alice is anonymous"""
        spoof = {"Remote-User": "alice", "Remote-Groups": "admins", **JSON}
        info = Browser().get(self.app + "/whoami.json", spoof).json()
        expect("authenticated", info["authenticated"], False)
        expect("trusted", info["verdict"]["trusted"], False)
        # Signed mode removes unsigned headers from every request: no token, nobody.
        expect("reason", info["verdict"]["reason"], None if self.signed else "untrusted_peer")
        expect("stripped", sorted(info["verdict"]["stripped"]), ["Remote-Groups", "Remote-User"])
        expect("what the app still sees", info["meta"], dict.fromkeys(info["meta"]))

    def signed_step_forged_assertion(self) -> None:
        """a token forged with another key, sent around the front, is refused (400)"""
        import jwt
        from cryptography.hazmat.primitives.asymmetric import ec

        reply = Browser().get(self.portal + "/.well-known/pomerium/jwks.json", JSON)
        expect("the front's keys: status", reply.status, 200)
        kid = json.loads(reply.text)["keys"][0]["kid"]  # the front's own key id
        now = int(time.time())
        claims = {"iss": "127.0.0.1", "aud": "127.0.0.1", "sub": "alice", "groups": ["admins"]}
        forged = jwt.encode(
            {**claims, "iat": now, "exp": now + 60},
            ec.generate_private_key(ec.SECP256R1()),
            algorithm="ES256",
            headers={"kid": kid},
        )
        headers = {"X-Pomerium-Jwt-Assertion": forged, **JSON}
        reply = Browser().get(self.app + "/whoami.json", headers)
        expect("status", reply.status, 400)
        if "assertion_signature" not in reply.text or forged in reply.text:
            raise StepFailed(f"expected the reason assertion_signature, got {reply.text!r}")

    def step_sent_to_sign_in(self) -> None:
        """an anonymous visitor is sent to the sign-in page"""
        reply = Browser().get(self.proxy + "/")
        expect("status", reply.status, 302)
        if not reply.location.startswith(self.portal + "/?rd="):
            raise StepFailed(f"expected a redirect to the portal, got {reply.location!r}")

    def step_public_page(self) -> None:
        """/public/ is open to everyone, and says who is signed in: nobody"""
        reply = Browser().get(self.proxy + "/public/")
        expect("status", reply.status, 200)
        if "Not signed in" not in reply.text:
            raise StepFailed("the page does not say 'Not signed in'")

    def step_wrong_password(self) -> None:
        """a wrong password is refused"""
        form = {"username": "alice", "password": "wrong", "rd": self.proxy + "/"}
        reply = Browser().request("POST", self.portal + "/", form=form, headers=HTML)
        expect("status", reply.status, 401)

    def step_alice(self) -> None:
        """alice signs in: groups admins, editors, staff; staff and superuser"""
        self.sign_in("alice")
        info = self.whoami("alice")
        expect("name", info["name"], "Alice Admin")
        expect("email", info["email"], "alice@example.com")
        expect("groups", info["groups"], ["admins", "editors", "staff"])
        expect("is_staff, is_superuser", (info["is_staff"], info["is_superuser"]), (True, True))
        if self.signed:
            expect(
                "trusted (no address is: the signature decides)", info["verdict"]["trusted"], False
            )
            if not info["verdict"]["assertion_key"]:
                raise StepFailed("the identity did not come from a verified assertion")
        else:
            expect(
                "trusted (the front connects from the trusted address)",
                info["verdict"]["trusted"],
                True,
            )
        expect("created by this sign-in", info["last_sync_created"], True)

    def step_alice_admins_only(self) -> None:
        """alice may open /admins-only/"""
        expect("status", self.browsers["alice"].get(self.proxy + "/admins-only/").status, 200)

    def step_bob(self) -> None:
        """bob signs in: group editors; neither staff nor superuser"""
        self.sign_in("bob")
        info = self.whoami("bob")
        expect("groups", info["groups"], ["editors"])
        expect("is_staff, is_superuser", (info["is_staff"], info["is_superuser"]), (False, False))
        self.last_seen = info

    def step_bob_admins_only(self) -> None:
        """bob is kept out of /admins-only/"""
        expect("status", self.browsers["bob"].get(self.proxy + "/admins-only/").status, 403)

    def step_jorn(self) -> None:
        """jorn signs in: his name is Jörn Müller, not JÃ¶rn MÃ¼ller"""
        self.sign_in("jorn")
        info = self.whoami("jorn")
        expect("name", info["name"], "Jörn Müller")
        expect("groups", info["groups"], ["editors", "Ünïcode Group"])

    def step_bob_promoted(self) -> None:
        """bob gets group staff in the users file: it shows on his next request"""
        edit_groups(self.users_file, "bob", lambda groups: [*groups, "staff"])
        info = self.wait_for("bob", lambda info: "staff" in info["groups"])
        expect("groups", info["groups"], ["editors", "staff"])
        expect("is_staff", info["is_staff"], True)
        expect("what the sync changed", info["last_sync_changed"], ["groups+staff", "is_staff"])
        self.last_seen = info

    def step_steady_state(self) -> None:
        """the same identity again: nothing is synced"""
        info = self.whoami("bob")
        for key in ("last_sync_at", "last_sync_changed", "fingerprint"):
            expect(key, info[key], self.last_seen[key])

    def step_bob_demoted(self) -> None:
        """bob leaves group staff: the group and is_staff are taken away"""
        edit_groups(self.users_file, "bob", lambda groups: [g for g in groups if g != "staff"])
        info = self.wait_for("bob", lambda info: "staff" not in info["groups"])
        expect("groups", info["groups"], ["editors"])
        expect("is_staff", info["is_staff"], False)
        expect("what the sync changed", info["last_sync_changed"], ["groups-staff", "is_staff"])

    def step_logout(self) -> None:
        """alice logs out: the site's and the front's sessions both end"""
        browser = self.browsers["alice"]
        browser.get(self.proxy + "/")  # the page with the button sets the CSRF cookie
        token = browser.cookie("csrftoken") or ""
        reply = browser.request(
            "POST",
            self.proxy + "/logout/",
            form={"csrfmiddlewaretoken": token},
            headers={**HTML, "Origin": self.proxy},
        )
        expect("status", reply.status, 302)
        if not reply.location.startswith(self.portal + "/logout?rd="):
            raise StepFailed(f"expected the front's logout URL, got {reply.location!r}")
        reply = browser.get(reply.location)
        expect("the front's logout: status", reply.status, 302)
        expect("the front's logout: back to", reply.location, self.proxy + "/")
        expect("whoami.json afterwards", browser.get(self.proxy + "/whoami.json", JSON).status, 401)

    def run(self) -> int:
        prefixes = ("step_", "signed_step_") if self.signed else ("step_",)
        steps = [getattr(self, name) for name in vars(Walkthrough) if name.startswith(prefixes)]
        failed = 0
        for number, step in enumerate(steps, 1):
            title = (step.__doc__ or step.__name__).strip()
            try:
                step()
            except (StepFailed, OSError, ValueError, KeyError, TypeError) as exc:
                failed += 1
                print(f"FAIL {number:2}. {title}\n         {type(exc).__name__}: {exc}")
            else:
                print(f"PASS {number:2}. {title}")
            sys.stdout.flush()
        print(f"{len(steps) - failed} of {len(steps)} steps passed")
        return 1 if failed else 0


def list_users(users_file: Path) -> None:
    """Print the users of a users file with their passwords (the demo's convention)."""
    from signin.users import parse_users

    users = parse_users(users_file.read_text(encoding="utf-8"))
    width = max(len(name) for name in users) + len("-password") * 2 + 4
    for user in users.values():
        login = f"{user.username} / {user.username}-password"
        groups = ", ".join(user.groups) or "no groups"
        extra = "  (disabled: cannot sign in)" if user.disabled else ""
        print(f"    {login:<{width}} {user.displayname}: {groups}{extra}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m whoami.walkthrough", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    wait = sub.add_parser("wait", help="wait until every URL answers")
    wait.add_argument("urls", nargs="+")
    wait.add_argument("--pid", type=int, action="append", default=[], help="fail if it exits")
    wait.add_argument("--timeout", type=float, default=30.0)
    users = sub.add_parser("users", help="list the users of a users file")
    users.add_argument("file", type=Path)
    check = sub.add_parser("check", help="the scripted walk-through")
    for name in ("proxy", "app", "portal"):
        check.add_argument(f"--{name}", required=True, help="base URL")
    check.add_argument("--users", required=True, type=Path, help="a users file it may edit")
    check.add_argument("--signed", action="store_true", help="the demo runs in signed mode")
    args = parser.parse_args(argv)
    if args.command == "wait":
        problem = wait_until_up(args.urls, args.pid, args.timeout)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problem else 0
    if args.command == "users":
        list_users(args.file)
        return 0
    return Walkthrough(args.proxy, args.app, args.portal, args.users, signed=args.signed).run()


if __name__ == "__main__":
    sys.exit(main())

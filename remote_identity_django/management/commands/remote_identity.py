"""``manage.py remote_identity SUBCOMMAND``: the adapter's tools for a site owner.

``users``: the accounts a remote-user backend made or the proxy syncs, with their flags
and last sync, to review after moving from a pasted ``RemoteUserMiddleware`` recipe:
such a recipe believed the header from any client, so it may have created accounts for
names somebody typed (``admin``, ``root``). Listed: every user a
``RemoteIdentityBackend`` synced (created by a sign-in, or found existing), and every
user without a usable password that it never synced, which is what Django's
``RemoteUserBackend`` (and the pasted code) creates.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q

from remote_identity_django.models import RELATED_NAME

FLAGS = ("is_active", "is_staff", "is_superuser")
ORIGINS = {
    "created": "created by a proxy sign-in",
    "synced": "existed, synced by the proxy",
    "unsynced": "no usable password, never synced",
}


class Command(BaseCommand):
    help = "Tools for sites behind an authenticating proxy; see SUBCOMMAND --help."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
        subcommands.required = True
        users = subcommands.add_parser(
            "users",
            help="list the users a remote-user backend made or the proxy syncs",
            description=__doc__.split("\n\n")[1] if __doc__ else None,
        )
        users.add_argument("--json", action="store_true", help="one JSON list, for scripts")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "users":
            self.users(as_json=bool(options["json"]))

    def users(self, *, as_json: bool) -> None:
        rows = list_users()
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No user was made by a remote-user backend or synced by the proxy.")
            return
        table = [["username", "origin", "flags", "last sync", "last login", "joined"]]
        table += [
            [
                row["username"],
                ORIGINS[row["origin"]],
                " ".join(f.removeprefix("is_") for f in FLAGS if row[f]) or "-",
                row["synced_at"] or "never",
                row["last_login"] or "never",
                row["date_joined"] or "-",
            ]
            for row in rows
        ]
        widths = [max(len(str(line[i])) for line in table) for i in range(len(table[0]))]
        for line in table:
            self.stdout.write(
                "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            )
        unsynced = sum(row["origin"] == "unsynced" for row in rows)
        if unsynced:
            self.stdout.write(
                f"\n{unsynced} user(s) without a usable password were never synced by the "
                "proxy: a remote-user backend (or code) made them. Check that each name "
                "exists in the proxy's directory; deactivate or delete the others."
            )


def list_users() -> list[dict[str, Any]]:
    """The users to review, by username: origin, flags, last sync, last login, joined."""
    model = get_user_model()
    users = (
        model._default_manager.select_related(RELATED_NAME)
        .filter(
            Q(**{f"{RELATED_NAME}__isnull": False})
            | Q(password="")
            | Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        )
        .order_by(model.USERNAME_FIELD)
    )
    rows = []
    for user in users:
        state = getattr(user, RELATED_NAME, None)  # Django raises AttributeError: none
        origin = "unsynced" if state is None else "created" if state.created_user else "synced"
        rows.append(
            {
                "username": user.get_username(),
                "origin": origin,
                **{flag: getattr(user, flag, None) for flag in FLAGS},
                "synced_at": _time(state.synced_at if state is not None else None),
                "last_login": _time(getattr(user, "last_login", None)),
                "date_joined": _time(getattr(user, "date_joined", None)),
            }
        )
    return rows


def _time(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None

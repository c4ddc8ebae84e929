"""``manage.py remote_identity SUBCOMMAND``: the adapter's tools for a site owner.

``explain``: the report of ``remote-identity explain`` on one request, judged with the
site's own settings (no gate flags), and what the site's middleware does with it: the
username it signs in, a refusal, an excluded path, ``REMOTE_IDENTITY_ENABLED = False``.
Exit status: 0 an identity, 1 anonymous, 2 rejected, 3 a usage or configuration error.

``users``: the accounts a remote-user backend made or the proxy syncs, with their flags
and last sync, to review after moving from a pasted ``RemoteUserMiddleware`` recipe:
such a recipe believed the header from any client, so it may have created accounts for
names somebody typed (``admin``, ``root``). Listed: every user a
``RemoteIdentityBackend`` synced (created by a sign-in, or found existing), and every
user without a usable password that it never synced, which is what Django's
``RemoteUserBackend`` (and the pasted code) creates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError, CommandParser, SystemCheckError
from django.db.models import Q

from remote_identity import ConfigurationError, explain_assertion
from remote_identity.cli import add_request_flags, request_headers
from remote_identity.explain_report import (
    EXIT_USAGE,
    exit_status,
    quiet_library_log,
    render,
    text_lines,
)
from remote_identity_django.explain import django_lines, explain_request, setting_error
from remote_identity_django.models import RELATED_NAME

FLAGS = ("is_active", "is_staff", "is_superuser")
ORIGINS = {
    "created": "created by a proxy sign-in",
    "synced": "existed, synced by the proxy",
    "unsynced": "no usable password, never synced",
}


class _Parser(CommandParser):
    """A subcommand's parser; with ``usage_status`` set, a usage error exits with it."""

    usage_status: int | None = None

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self.usage_status is not None:  # not left to the command's parser
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        # Django's own: argparse's exit status 2 on the command line, else CommandError.
        status = self.usage_status
        if self.called_from_command_line:
            self.print_usage(sys.stderr)
            self.exit(2 if status is None else status, f"{self.prog}: error: {message}\n")
        raise CommandError(f"Error: {message}", returncode=1 if status is None else status)


class Command(BaseCommand):
    help = "Tools for sites behind an authenticating proxy; see SUBCOMMAND --help."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", parser_class=_Parser
        )
        subcommands.required = True
        users = subcommands.add_parser(
            "users",
            help="list the users a remote-user backend made or the proxy syncs",
            description=__doc__.split("\n\n")[2] if __doc__ else None,
        )
        users.add_argument("--json", action="store_true", help="one JSON list, for scripts")
        explain = subcommands.add_parser(
            "explain",
            help="show how the site judges a request's identity headers",
            description="Judge one request with the site's settings, as its middleware "
            "would, and explain the decision. Exit status: 0 an identity, 1 anonymous, "
            "2 rejected, 3 a usage or configuration error.",
        )
        explain.usage_status = EXIT_USAGE
        add_request_flags(explain)
        explain.add_argument(
            "--path", default="/", help="the request's path, for REMOTE_IDENTITY_EXCLUDED_PATHS"
        )
        explain_assertion.add_flags(
            explain,
            configuration=False,
            description="The proxy's signed assertion, verified as REMOTE_IDENTITY_ASSERTION "
            "configures it.",
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except SystemCheckError as exc:
            if options.get("subcommand") != "explain":
                raise
            raise SystemCheckError(str(exc), returncode=EXIT_USAGE) from exc

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "users":
            self.users(as_json=bool(options["json"]))
        else:
            self.explain(options)

    def explain(self, options: dict[str, Any]) -> None:
        """The report; exits with the status of the site's verdict (see the module)."""
        with quiet_library_log() as records:
            try:
                headers, notes = request_headers(argparse.Namespace(**options))
                report = explain_request(
                    headers,
                    options["peer"],
                    options["server"],
                    path=options["path"],
                    token=options["assertion"],
                    notes=notes,
                    records=records,
                )
            except ConfigurationError as exc:
                raise CommandError(setting_error(exc), returncode=EXIT_USAGE) from exc
        if options["json"]:
            self.stdout.write(render(report, as_json=True))
        else:
            self.stdout.write("\n".join([*text_lines(report), *django_lines(report["django"])]))
        status = exit_status(report["django"]["outcome"])
        if status:
            sys.exit(status)

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

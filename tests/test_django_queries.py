"""SQL cost: ours side by side with Django's own RemoteUserMiddleware + RemoteUserBackend.

The stock pair is configured the way the pasted recipe does (``HTTP_REMOTE_USER``). Same
client, same session engine, same request; the queries of each request are compared.
"""

from __future__ import annotations

import re

import django
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext

from tests.djangoapp.support import BASE, OURS, STOCK, aget, authelia

pytestmark = pytest.mark.django_db

STOCK_ASGI = {**STOCK, "MIDDLEWARE": [*BASE, "tests.djangoapp.support.StockAsgiHeaderMiddleware"]}


def queries(client: Client | AsyncClient, headers: dict[str, str]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        if isinstance(client, AsyncClient):
            response = aget(client, "/whoami/", headers=headers)
        else:
            response = client.get("/whoami/", headers=headers)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def shape(sql: str) -> str:
    """The statement with its literal values (session keys, times, ids) left out."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


USER_WITH_FINGERPRINT = (
    'SELECT u.*, s."fingerprint" AS "remote_identity_fingerprint" FROM "auth_user" u '
    'LEFT OUTER JOIN "remote_identity_django_syncstate" s ON s."user_id" = u."id" '
    'WHERE u."id" = ?'
)


def writes(statements: list[str]) -> list[str]:
    """``"VERB table"`` of each write, savepoints left out."""
    return [
        f"{sql.split()[0]} {sql.split(chr(34))[1]}"
        for sql in statements
        if sql.startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def configure(settings, values: dict[str, list[str]]) -> None:
    for name, value in values.items():
        setattr(settings, name, value)


@pytest.mark.parametrize("client_class", [Client, AsyncClient], ids=["wsgi", "asgi"])
@pytest.mark.parametrize("requests", [1, 3])
def test_steady_state_costs_exactly_what_django_costs(settings, client_class, requests) -> None:
    Group.objects.create(name="editors")
    headers = authelia()
    costs = {}
    stock = STOCK if client_class is Client else STOCK_ASGI
    for name, values in [("stock", stock), ("ours", OURS)]:
        configure(settings, values)
        client = client_class()
        queries(client, headers)  # the login request
        costs[name] = [queries(client, headers) for _ in range(requests)]
    # The same statements, in the same order: load the session, load the user (and, in
    # the same statement, the fingerprint last synced into it). No write.
    for ours, stock in zip(costs["ours"], costs["stock"], strict=True):
        assert len(ours) == len(stock)
        for our_sql, stock_sql in zip(ours, stock, strict=True):
            if 'FROM "auth_user"' in stock_sql:
                assert shape(our_sql) == USER_WITH_FINGERPRINT
            else:
                assert shape(our_sql) == shape(stock_sql)
    # Under ASGI Django 5+ loads the user twice: request.auser() for the middleware, then
    # request.user (a separate cache) for the sync view.
    expected = 3 if client_class is AsyncClient and django.VERSION >= (5, 0) else 2
    assert [len(each) for each in costs["ours"]] == [expected] * requests
    assert all(sql.startswith("SELECT") for each in costs["ours"] for sql in each)


def test_login_request_cost(settings) -> None:
    Group.objects.create(name="editors")
    configure(settings, STOCK)
    stock = writes(queries(Client(), authelia()))
    User.objects.all().delete()
    configure(settings, OURS)
    ours = writes(queries(Client(), authelia()))
    assert stock == [
        "INSERT auth_user",
        "INSERT django_session",
        "UPDATE auth_user",  # last_login
        "UPDATE django_session",
    ]
    assert ours == [
        "INSERT auth_user",  # with an unusable password, first_name and email
        "INSERT auth_user_groups",  # editors
        "INSERT remote_identity_django_syncstate",  # the synced fingerprint
        "INSERT django_session",
        "UPDATE auth_user",  # last_login
        "UPDATE django_session",
    ]


@pytest.mark.parametrize(
    ("change", "expected_writes"),
    [
        pytest.param(
            {"email": "new@example.com"},
            ['UPDATE "auth_user" SET "email" = \'new@example.com\' WHERE "auth_user"."id" = {id}'],
            id="email",
        ),
        pytest.param(
            {"name": "Alice L."},
            ['UPDATE "auth_user" SET "first_name" = \'Alice L.\' WHERE "auth_user"."id" = {id}'],
            id="name",
        ),
        pytest.param({"groups": "editors,staff"}, ["INSERT auth_user_groups"], id="group-added"),
        pytest.param({"groups": ""}, ["DELETE auth_user_groups"], id="group-removed"),
    ],
)
def test_changed_identity_writes_only_what_changed(settings, change, expected_writes) -> None:
    Group.objects.create(name="editors")
    Group.objects.create(name="staff")
    configure(settings, OURS)
    client = Client()
    queries(client, authelia())
    user_id = User.objects.get().pk
    sql = queries(client, authelia(**change))
    found = [
        statement if statement.startswith('UPDATE "auth_user"') else writes([statement])[0]
        for statement in sql
        if statement.startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    expected = [write.format(id=user_id) for write in expected_writes]
    # The new fingerprint is stored with the user (one upsert); the session is not written.
    assert found == [*expected, "INSERT remote_identity_django_syncstate"]
    # The next request is back to the steady state.
    assert len(queries(client, authelia(**change))) == 2

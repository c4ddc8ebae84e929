"""``RemoteIdentityBackend``: creation, attribute, group and flag sync, the signal."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import authenticate
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.models import Group, User
from django.db import DatabaseError
from django.db.models.signals import post_save
from django.test import RequestFactory

from remote_identity import HeaderScheme, Identity
from remote_identity_django.backends import RemoteIdentityBackend
from remote_identity_django.conf import get_gate
from tests.djangoapp.support import receiver

pytestmark = pytest.mark.django_db

ALICE = Identity("alice", "Alice Liddell", "alice@example.com", ("editors",))


def login(identity: Identity = ALICE) -> User | None:
    request = RequestFactory().get("/")
    return authenticate(request, remote_user=identity.username, identity=identity)  # type: ignore[return-value]


def groups_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_is_a_remote_user_backend() -> None:
    assert issubclass(RemoteIdentityBackend, RemoteUserBackend)


def test_creates_user_with_unusable_password_and_attributes() -> None:
    Group.objects.create(name="editors")
    user = login()
    assert user is not None
    user.refresh_from_db()
    assert user.get_full_name() == "Alice Liddell"
    assert (user.first_name, user.last_name, user.email) == (
        "Alice Liddell",
        "",
        "alice@example.com",
    )
    assert not user.has_usable_password()
    assert groups_of(user) == {"editors"}
    assert not user.is_staff
    assert not user.is_superuser


def test_display_name_kept_exactly() -> None:
    name = "Jörn  van der Ünal-Łukasz"  # the parser has already trimmed the ends
    user = login(Identity("jorn", name, None, ()))
    assert user is not None
    assert user.get_full_name() == name


def test_existing_last_name_cleared_by_default_map() -> None:
    User.objects.create(username="alice", first_name="A", last_name="Liddell")
    user = login()
    assert user is not None
    assert user.get_full_name() == "Alice Liddell"


def test_missing_name_left_alone_and_empty_email_cleared() -> None:
    # Authelia sends Remote-Email "" for a user without an address: the core gives None,
    # and the address the directory no longer has is cleared.
    User.objects.create(username="alice", first_name="Kept", email="old@example.com")
    user = login(Identity("alice"))
    assert user is not None
    assert (user.first_name, user.email) == ("Kept", "")


def test_email_kept_when_the_scheme_has_no_email_header(settings) -> None:
    settings.REMOTE_IDENTITY_SCHEME = HeaderScheme(name="user only", user_headers=("X-User",))
    User.objects.create(username="alice", email="kept@example.com")
    user = login(Identity("alice"))
    assert user is not None
    assert user.email == "kept@example.com"


def test_custom_attr_map(settings) -> None:
    settings.REMOTE_IDENTITY_USER_ATTR_MAP = {"last_name": "name", "first_name": "username"}
    user = login()
    assert user is not None
    assert (user.first_name, user.last_name, user.email) == ("alice", "Alice Liddell", "")


def test_no_creation_when_off(settings) -> None:
    settings.REMOTE_IDENTITY_CREATE_UNKNOWN_USER = False
    assert login() is None
    assert not User.objects.exists()


def test_subclass_attribute_overrides_the_setting() -> None:
    class NoCreate(RemoteIdentityBackend):
        create_unknown_user = False

    assert NoCreate().authenticate(None, "alice", ALICE) is None


@pytest.mark.parametrize(
    ("remote_user", "identity"),
    [
        pytest.param("", ALICE, id="empty"),
        pytest.param(None, None, id="none"),
        pytest.param("mallory", ALICE, id="mismatch"),
    ],
)
def test_denied(remote_user, identity) -> None:
    assert RemoteIdentityBackend().authenticate(None, remote_user, identity) is None
    assert not User.objects.exists()


def test_remote_user_only_behaves_like_django() -> None:
    user = authenticate(RequestFactory().get("/"), remote_user="knownuser")
    assert user is not None
    assert user.username == "knownuser"
    assert not user.has_usable_password()
    assert user.email == ""


def test_inactive_user_denied_but_synced() -> None:
    User.objects.create(username="alice", is_active=False)
    assert login() is None
    assert User.objects.get().email == "alice@example.com"


def test_configure_user_called_after_sync_with_created() -> None:
    calls = []

    class Hooked(RemoteIdentityBackend):
        def configure_user(self, request, user, created=True):
            calls.append((user.email, created))
            return user

    Hooked().authenticate(None, "alice", ALICE)
    Hooked().authenticate(None, "alice", ALICE)
    assert calls == [("alice@example.com", True), ("alice@example.com", False)]


def test_failed_sync_denies_login_and_rolls_back(settings, monkeypatch, caplog) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_staff": ["editors"]}
    User.objects.create(username="alice", is_staff=False)

    def fail(*args, **kwargs):
        raise DatabaseError("no space left")

    # After the user's fields were saved: the rollback must undo them.
    monkeypatch.setattr("remote_identity_django.statements.memberships", fail)
    with caplog.at_level(logging.ERROR, logger="remote_identity.django"):
        assert login() is None
    assert caplog.records[-1].reason == "sync_failed"
    user = User.objects.get()
    assert (user.is_staff, user.email) == (False, "")


def test_aauthenticate_with_identity() -> None:
    user = async_to_sync(RemoteIdentityBackend().aauthenticate)(None, "alice", ALICE)
    assert user is not None
    assert user.email == "alice@example.com"


@pytest.mark.parametrize("remote_user", ["knownuser", ""])
def test_aauthenticate_remote_user_only(remote_user) -> None:
    # Through aconfigure_user on Django 5.2+, through configure_user before.
    user = async_to_sync(RemoteIdentityBackend().aauthenticate)(None, remote_user)
    assert (user.username if user else "") == remote_user


# --- sync(): what changes, what is written ---------------------------------------------


def sync(identity: Identity, user: User | None = None, **kwargs) -> tuple[str, ...]:
    user = user or User.objects.get_or_create(username=identity.username)[0]
    return RemoteIdentityBackend().sync(user, identity, **kwargs)


def test_sync_reports_sorted_changes_and_writes_only_those() -> None:
    Group.objects.create(name="editors")
    user = User.objects.create(username="alice", email="old@example.com")
    saved = []

    def on_save(sender, instance, update_fields, **kwargs):
        saved.append(update_fields)

    post_save.connect(on_save, sender=User)
    try:
        changed = sync(ALICE, user)
        again = sync(ALICE, user)
    finally:
        post_save.disconnect(on_save, sender=User)
    assert changed == ("email", "first_name", "groups+editors")
    assert again == ()
    assert saved == [frozenset({"email", "first_name"})]


@pytest.mark.parametrize(
    ("mirror", "except_", "existing", "before", "proxy", "after", "changed"),
    [
        pytest.param(
            True,
            [],
            ["a", "b", "c"],
            ["a", "local"],
            ("b",),
            {"b"},
            ("groups+b", "groups-a", "groups-local"),
            id="all",
        ),
        pytest.param(
            True, [], ["a"], [], ("a", "missing"), {"a"}, ("groups+a",), id="existing-only"
        ),
        pytest.param(
            True, ["local"], ["a"], ["a", "local"], (), {"local"}, ("groups-a",), id="except-kept"
        ),
        pytest.param(True, ["a"], ["a"], [], ("a",), set(), (), id="except-not-added"),
        pytest.param(
            ["a", "b"], [], ["a", "b", "c"], ["c"], ("a", "c"), {"a", "c"}, ("groups+a",), id="list"
        ),
        pytest.param(
            ["a", "b"], [], ["a", "b", "c"], ["b", "c"], (), {"c"}, ("groups-b",), id="list-removes"
        ),
        pytest.param(False, [], ["a", "b"], ["b"], ("a",), {"b"}, (), id="off"),
    ],
)
def test_group_mirroring(settings, mirror, except_, existing, before, proxy, after, changed):
    settings.REMOTE_IDENTITY_MIRROR_GROUPS = mirror
    settings.REMOTE_IDENTITY_MIRROR_GROUPS_EXCEPT = except_
    for name in {*existing, *before}:
        Group.objects.get_or_create(name=name)
    user = User.objects.create(username="alice")
    user.groups.add(*Group.objects.filter(name__in=before))
    assert sync(Identity("alice", groups=proxy), user) == changed
    assert groups_of(user) == after


def test_groups_created_when_configured(settings) -> None:
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    Group.objects.create(name="old")
    assert sync(Identity("alice", groups=("new", "old"))) == ("groups+new", "groups+old")
    assert set(Group.objects.values_list("name", flat=True)) == {"new", "old"}


def test_group_name_map_and_clean_groupname_hook(settings) -> None:
    settings.REMOTE_IDENTITY_GROUP_NAME_MAP = {"admins": "Administrators"}
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_superuser": ["Administrators"]}

    class Dropping(RemoteIdentityBackend):
        def clean_groupname(self, name: str) -> str | None:
            return None if name.startswith("tmp-") else super().clean_groupname(name)

    user = User.objects.create(username="alice")
    identity = Identity("alice", groups=("admins", "tmp-x", "Administrators"))
    assert Dropping().identity_groups(identity) == ("Administrators",)
    assert Dropping().sync(user, identity) == ("groups+Administrators", "is_superuser")


@pytest.mark.parametrize(
    ("proxy", "before", "after", "changed"),
    [
        pytest.param(("staff",), False, True, ("is_staff",), id="granted"),
        pytest.param((), True, False, ("is_staff",), id="revoked"),
        pytest.param(("staff",), True, True, (), id="kept"),
    ],
)
def test_flags_by_group(settings, proxy, before, after, changed) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_staff": ["staff", "ops"]}
    settings.REMOTE_IDENTITY_MIRROR_GROUPS = False
    user = User.objects.create(username="alice", is_staff=before, is_superuser=True)
    assert sync(Identity("alice", groups=proxy), user) == changed
    user.refresh_from_db()
    assert user.is_staff is after
    assert user.is_superuser  # not configured: never touched


def test_signal_sent_only_when_something_changed() -> None:
    request = RequestFactory().get("/")
    with receiver() as calls:
        user = login(ALICE)
        login(ALICE)
        RemoteIdentityBackend().sync(user, ALICE, request=request)
        changed = Identity("alice", "Alice Liddell", "new@example.com", ("editors",))
        RemoteIdentityBackend().sync(user, changed, request=request)
    assert [call["changed"] for call in calls] == [("email", "first_name"), ("email",)]
    first, second = calls
    assert first["sender"] is RemoteIdentityBackend
    assert (first["user"], first["identity"], first["created"]) == (user, ALICE, True)
    assert first["request"].path == "/"
    assert (second["identity"], second["created"], second["request"]) == (changed, False, request)


# --- default groups, identify by e-mail, local users ------------------------------------


def test_default_groups_are_added_on_every_sync_and_never_removed(settings) -> None:
    settings.REMOTE_IDENTITY_DEFAULT_GROUPS = ["users"]
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_active": ["users"]}
    Group.objects.create(name="editors")
    user = User.objects.create(username="alice", is_active=False)
    # Created when missing (the site named it, not the proxy), counts for the flags.
    assert sync(Identity("alice", groups=("editors",)), user) == (
        "groups+editors",
        "groups+users",
        "is_active",
    )
    user.groups.remove(Group.objects.get(name="users"))  # removed by hand
    assert sync(Identity("alice"), user) == ("groups+users", "groups-editors")
    assert groups_of(user) == {"users"}
    settings.REMOTE_IDENTITY_MIRROR_GROUPS = False  # mirroring off: still added
    user.groups.clear()
    assert sync(Identity("alice"), user) == ("groups+users",)


def test_groups_the_proxy_does_not_own_are_left_alone_with_mirroring_off(settings) -> None:
    settings.REMOTE_IDENTITY_MIRROR_GROUPS = False
    Group.objects.create(name="local")
    user = User.objects.create(username="alice")
    user.groups.add(Group.objects.get(name="local"))
    assert sync(Identity("alice", groups=("local", "other")), user) == ()
    assert groups_of(user) == {"local"}


def by_email(email: str | None, user: str = "accounts-7") -> tuple[Identity, str | None]:
    """The gate's identity for ``Remote-User: user`` and ``Remote-Email: email``, and the
    username it signs in as with ``REMOTE_IDENTITY_IDENTIFY_BY = "email"``."""
    environ = {"REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1", "HTTP_REMOTE_USER": user}
    if email is not None:
        environ["HTTP_REMOTE_EMAIL"] = email.encode().decode("latin-1")
    identity = get_gate().process(environ).identity
    assert identity is not None
    return identity, RemoteIdentityBackend().username_for(identity)


def sign_in_by_email(email: str) -> User | None:
    identity, username = by_email(email)
    return RemoteIdentityBackend().authenticate(None, username, identity)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("email", "case", "username"),
    [
        pytest.param(
            "Alice.Liddell@Example.COM", "preserve", "Alice.Liddell@example.com", id="domain"
        ),
        pytest.param("Alice.Liddell@Example.COM", "lower", "alice.liddell@example.com", id="lower"),
        pytest.param("Jörg@Bücher.example", "preserve", "Jörg@bücher.example", id="non-ascii"),
        pytest.param("Jörg@Bücher.example", "lower", "jörg@bücher.example", id="non-ascii-lower"),
        # USERNAME_CASE's one rule, str.lower() then NFC: not casefold() ("ß" is not "ss").
        pytest.param("STRAẞE@example.com", "lower", "straße@example.com", id="lower-not-casefold"),
        pytest.param("W\u030a@example.com", "lower", "\u1e98@example.com", id="lower-then-nfc"),
        pytest.param(None, "preserve", None, id="no-address"),
    ],
)
def test_identify_by_email(settings, email, case, username) -> None:
    settings.REMOTE_IDENTITY_IDENTIFY_BY = "email"
    settings.REMOTE_IDENTITY_USERNAME_CASE = case
    identity, signs_in_as = by_email(email)
    assert signs_in_as == username
    backend = RemoteIdentityBackend()
    user = backend.authenticate(None, signs_in_as, identity)
    assert (user.get_username() if user else None) == username
    # The identity's own username is not an account name then.
    assert backend.authenticate(None, "accounts-7", identity) is None
    # The address stored in the user's e-mail field keeps its local part's case.
    if user is not None:
        assert user.email == identity.email


@pytest.mark.parametrize(
    ("case", "users"),
    [
        pytest.param("preserve", 2, id="preserve-two-mailboxes"),
        pytest.param("lower", 1, id="lower-one-account"),
    ],
)
def test_local_parts_that_differ_in_case_are_two_accounts_unless_lowered(
    settings, case, users
) -> None:
    settings.REMOTE_IDENTITY_IDENTIFY_BY = "email"
    settings.REMOTE_IDENTITY_USERNAME_CASE = case
    first, second = sign_in_by_email("Alice@example.com"), sign_in_by_email("alice@example.com")
    assert first is not None
    assert second is not None
    assert len({first.pk, second.pk}) == users
    assert User.objects.count() == users


@pytest.mark.parametrize("case", ["preserve", "lower"])
def test_the_domains_case_never_matters(settings, case) -> None:
    settings.REMOTE_IDENTITY_IDENTIFY_BY = "email"
    settings.REMOTE_IDENTITY_USERNAME_CASE = case
    users = [sign_in_by_email(f"alice@{domain}") for domain in ("example.com", "EXAMPLE.Com")]
    assert users[0] is not None
    assert users[1] is not None
    assert users[0].pk == users[1].pk
    assert users[0].get_username() == "alice@example.com"


def too_long(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.reason == "username_too_long"]


@pytest.mark.parametrize("case", ["preserve", "lower"])
def test_an_address_longer_than_the_username_field_is_refused(settings, caplog, case) -> None:
    settings.REMOTE_IDENTITY_IDENTIFY_BY = "email"
    settings.REMOTE_IDENTITY_USERNAME_CASE = case
    fits = "a" * (150 - len("@example.com")) + "@example.com"  # User.username: 150
    assert sign_in_by_email(fits) is not None
    # A valid address (up to 254 characters) that the username field cannot hold: never
    # cut (a cut name can be another user's), never a database error.
    longer = "A" + fits
    with caplog.at_level(logging.WARNING, logger="remote_identity.django"):
        assert sign_in_by_email(longer) is None
    assert User.objects.get().username == fits
    expected = longer.lower() if case == "lower" else longer
    assert too_long(caplog) == [
        f"login of {expected!r} refused: 151 characters, and the user model's username "
        "field holds at most 150"
    ]


def test_lower_casing_that_lengthens_an_address_past_the_limit_is_refused(settings) -> None:
    settings.REMOTE_IDENTITY_IDENTIFY_BY = "email"
    settings.REMOTE_IDENTITY_USERNAME_CASE = "lower"
    email = "İ" * 70 + "@example.com"  # 82 characters; lower-cased, "İ" is two: 152
    assert sign_in_by_email(email) is None
    settings.REMOTE_IDENTITY_USERNAME_CASE = "preserve"
    assert sign_in_by_email(email) is not None


def test_a_username_field_without_max_length_has_no_limit(monkeypatch) -> None:
    from django.db.models import TextField

    real = User._meta.get_field
    field = TextField(name="username")
    monkeypatch.setattr(
        User._meta, "get_field", lambda name: field if name == "username" else real(name)
    )
    assert RemoteIdentityBackend().username_fits("c" * 1000)


def test_a_remote_user_longer_than_the_username_field_is_refused(caplog) -> None:
    # The gate refuses a longer Remote-User with Django's default limit; a backend
    # called directly (or a core policy with a higher limit) meets the same rule here.
    backend = RemoteIdentityBackend()
    name = "b" * 151
    with caplog.at_level(logging.WARNING, logger="remote_identity.django"):
        assert backend.authenticate(None, name) is None
        assert backend.authenticate(None, name, Identity(name)) is None
        assert async_to_sync(backend.aauthenticate)(None, name) is None
    assert len(too_long(caplog)) == 3
    assert not User.objects.exists()
    assert backend.username_fits("b" * 150)
    assert not backend.username_fits(name)


@pytest.mark.parametrize(
    ("policy", "password", "signed_in"),
    [
        pytest.param("allow", "pw", True, id="allow-local"),
        pytest.param("refuse", "pw", False, id="refuse-local"),
        pytest.param("refuse", None, True, id="refuse-but-no-password"),
        pytest.param("refuse", "", True, id="refuse-but-empty-password"),
    ],
)
def test_local_users(settings, caplog, policy, password, signed_in) -> None:
    settings.REMOTE_IDENTITY_LOCAL_USERS = policy
    user = User.objects.create_user("alice", password=password)
    if password == "":
        User.objects.filter(pk=user.pk).update(password="")  # Django's RemoteUserBackend's
    with caplog.at_level(logging.WARNING, logger="remote_identity.django"):
        assert (login() is not None) is signed_in
    refused = [r for r in caplog.records if getattr(r, "reason", None) == "local_user"]
    assert bool(refused) is not signed_in
    assert (User.objects.get().email == "alice@example.com") is signed_in
    async_user = async_to_sync(RemoteIdentityBackend().aauthenticate)(None, "alice")
    assert (async_user is not None) is signed_in


def test_disabled_authenticates_nobody(settings) -> None:
    settings.REMOTE_IDENTITY_ENABLED = False
    assert login() is None
    assert RemoteIdentityBackend().authenticate(None, "knownuser") is None
    assert not User.objects.exists()


def test_get_user_loads_the_stored_fingerprint_in_the_same_query(
    django_assert_num_queries,
) -> None:
    user = login()
    assert user is not None
    backend = RemoteIdentityBackend()
    with django_assert_num_queries(1):
        loaded = backend.get_user(user.pk)
        assert loaded is not None
        assert backend.is_synced(loaded, ALICE)
    with django_assert_num_queries(1):
        loaded = async_to_sync(backend.aget_user)(user.pk)
        assert backend.is_synced(loaded, ALICE)
    assert backend.get_user(12345) is None
    assert async_to_sync(backend.aget_user)(12345) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(user.pk) is None
    assert async_to_sync(backend.aget_user)(user.pk) is None


def test_a_user_loaded_without_its_state_is_not_taken_as_synced() -> None:
    user = login()
    assert user is not None
    assert not RemoteIdentityBackend().is_synced(User.objects.get(pk=user.pk), ALICE)


def test_a_login_of_a_synced_user_writes_nothing(django_assert_num_queries) -> None:
    login()
    with django_assert_num_queries(1):  # the user, with its fingerprint: up to date
        assert login() is not None


def test_concurrent_creation_finds_the_user_the_other_request_created(monkeypatch) -> None:
    # The first request's INSERT loses to another's: the other's user is used and synced.
    real_create = RemoteIdentityBackend._create

    def created_meanwhile(self, model, lookup, identity, request):
        User.objects.create(username="alice")
        return real_create(self, model, lookup, identity, request)

    monkeypatch.setattr(RemoteIdentityBackend, "_create", created_meanwhile)
    user = login()
    assert user is not None
    assert User.objects.get().email == "alice@example.com"


# --- audit: one record per change, the same facts in the signal -------------------------


def test_audit_records_and_signal_facts(settings, caplog) -> None:
    from remote_identity_django.audit import AuditEvent

    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {
        "is_staff": ["staff"],
        "is_superuser": ["admins"],
    }
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.5.2")
    promoted = Identity("alice", "Alice", "alice@example.com", ("staff", "admins"))
    demoted = Identity("alice", "Alice", "new@example.com", ("staff",))
    with receiver() as calls, caplog.at_level(logging.INFO, logger="remote_identity.audit"):
        user = RemoteIdentityBackend().authenticate(request, "alice", promoted)
        RemoteIdentityBackend().sync(user, demoted, request=request)
    created, changed = calls
    assert created["events"] == (
        AuditEvent("user_created", "alice"),
        AuditEvent("flag_granted", "is_staff"),
        AuditEvent("flag_granted", "is_superuser"),
        AuditEvent("group_added", "staff"),
        AuditEvent("group_added", "admins"),
    )
    assert changed["events"] == (
        AuditEvent("field_changed", "email"),
        AuditEvent("flag_revoked", "is_superuser"),
        AuditEvent("group_removed", "admins"),
    )
    assert created["peer"] == changed["peer"] == "10.0.5.2"
    records = [r for r in caplog.records if r.name == "remote_identity.audit"]
    assert [(r.event, r.target) for r in records] == [*created["events"], *changed["events"]]
    assert {(r.username, r.peer, r.levelname) for r in records} == {("alice", "10.0.5.2", "INFO")}
    assert [r.getMessage() for r in records] == [
        "alice: user created (peer 10.0.5.2)",
        "alice: is_staff granted (peer 10.0.5.2)",
        "alice: is_superuser granted (peer 10.0.5.2)",
        "alice: added to group 'staff' (peer 10.0.5.2)",
        "alice: added to group 'admins' (peer 10.0.5.2)",
        "alice: email changed (peer 10.0.5.2)",
        "alice: is_superuser revoked (peer 10.0.5.2)",
        "alice: removed from group 'admins' (peer 10.0.5.2)",
    ]
    assert "new@example.com" not in caplog.text  # values are not logged


def test_a_new_users_groups_send_m2m_changed_to_a_receiver() -> None:
    # With a receiver, the memberships go through the ORM (and its signals), not SQL.
    from django.db.models.signals import m2m_changed

    for name in ("editors", "staff"):
        Group.objects.create(name=name)
    seen = []

    def on_change(action: str, pk_set: set[int] | None, **kwargs: object) -> None:
        seen.append((action, sorted(pk_set or ())))

    m2m_changed.connect(on_change, sender=User.groups.through)
    try:
        user = login(Identity("alice", groups=("editors", "staff", "missing")))
    finally:
        m2m_changed.disconnect(on_change, sender=User.groups.through)
    assert user is not None
    assert groups_of(user) == {"editors", "staff"}
    ids = sorted(Group.objects.filter(name__in=["editors", "staff"]).values_list("pk", flat=True))
    assert seen == [("pre_add", ids), ("post_add", ids)]


def test_a_new_user_gets_existing_and_created_groups(settings) -> None:
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    settings.REMOTE_IDENTITY_DEFAULT_GROUPS = ["users"]
    Group.objects.create(name="editors")
    with receiver() as calls:
        user = login(Identity("alice", groups=("editors", "new-team")))
    assert user is not None
    assert groups_of(user) == {"editors", "new-team", "users"}
    assert calls[0]["changed"] == ("groups+editors", "groups+new-team", "groups+users")

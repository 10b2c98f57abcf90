"""The policy alone, with hand-built persons: only the database (for the matrix) is used."""

import pytest
from flask_principal import ActionNeed, Identity, RoleNeed, UserNeed

from rero_ils_users.errors import NotAuthenticated, NotFound, PermissionDenied
from rero_ils_users.permissions import policy
from rero_ils_users.permissions.needs import (
    ANONYMOUS,
    LibraryNeed,
    OrganisationNeed,
    Person,
    RecordRoles,
    person_of,
    provide,
)
from rero_ils_users.permissions.policy import Target

pytestmark = pytest.mark.usefixtures("matrix_defaults")

ORG, OTHER_ORG = "1", "2"


def staff(roles, libraries=("10",), org=ORG, user_id=7, organisation_libraries=("10", "11"), **kwargs):
    record = RecordRoles(pid="p7", organisation_pid=org, roles=frozenset(roles), library_pids=frozenset(libraries))
    return Person(
        user_id=user_id,
        records=(record,),
        organisation_libraries=frozenset(organisation_libraries) if "pro_full_permissions" in roles else frozenset(),
        **kwargs,
    )


def patron(user_id=8, org=ORG, **kwargs):
    record = RecordRoles(pid="p8", organisation_pid=org, roles=frozenset({"patron"}))
    return Person(user_id=user_id, records=(record,), **kwargs)


def ident(person):
    return provide(Identity(person.user_id), person)


def patron_record(org=ORG, owner=8):
    return Target(organisation_pid=org, owner_user_id=owner)


def pro_record(org=ORG, libraries=("10",), owner=9):
    return Target(organisation_pid=org, library_pids=frozenset(libraries), owner_user_id=owner, professional=True)


def error_of(identity, action, target=None):
    return policy.decide(identity, action, target).error


def test_superuser_may_do_anything_anywhere():
    su = ident(Person(user_id=1, account_roles=frozenset({"superuser"})))
    assert policy.can(su, "org-create")
    assert policy.can(su, "ptrn-delete", pro_record(OTHER_ORG, ("99",)))


def test_anonymous_gets_any_user_actions_only():
    anonymous = ident(ANONYMOUS)
    assert policy.can(anonymous, "doc-search")
    assert not policy.can(anonymous, "notif-read")  # authenticated_user only
    assert error_of(anonymous, "ptrn-read", patron_record()) is NotAuthenticated


def test_bare_identity_is_the_anonymous_person():
    """Flask-Principal's AnonymousIdentity arrives without identity_loaded."""
    bare = Identity(None)
    assert person_of(bare) is ANONYMOUS
    assert policy.can(bare, "doc-search")
    assert not policy.can(bare, "ptrn-search")


def test_patron_reads_only_their_own_record():
    me = ident(patron())
    assert policy.can(me, "ptrn-read", patron_record(owner=8))
    assert error_of(me, "ptrn-read", patron_record(owner=99)) is NotFound
    # the own record of another organisation where they are no patron: out of scope
    assert error_of(me, "ptrn-read", patron_record(org=OTHER_ORG, owner=8)) is NotFound
    assert error_of(me, "ptrn-search") is PermissionDenied
    assert policy.can(me, "loan-request") and policy.can(me, "ptrn-account")


def test_staff_act_only_in_their_organisation():
    reader = ident(staff({"pro_read_only"}))
    assert policy.can(reader, "ptrn-read", patron_record())
    assert error_of(reader, "ptrn-read", patron_record(OTHER_ORG)) is NotFound
    assert error_of(reader, "ptrn-update", patron_record()) is PermissionDenied


def test_professional_records_need_a_shared_library():
    manager = ident(staff({"pro_user_manager"}, libraries=("10",)))
    assert policy.can(manager, "ptrn-update", pro_record(libraries=("10", "12")))
    assert error_of(manager, "ptrn-update", pro_record(libraries=("11",))) is PermissionDenied
    assert policy.can(manager, "ptrn-read", pro_record(libraries=("11",)))  # reading is not writing
    assert policy.can(manager, "ptrn-update", patron_record())  # patron records: any library


def test_full_permissions_reach_every_library_of_their_organisation():
    full = ident(staff({"pro_full_permissions"}, libraries=("10",)))
    assert policy.can(full, "ptrn-update", pro_record(libraries=("11",)))
    assert policy.can(full, "lib-update", pro_record(libraries=("11",)))
    assert error_of(full, "lib-update", pro_record(OTHER_ORG, ("20",))) is NotFound


def test_library_administrator_reads_organisation_level_resources_only():
    admin = ident(staff({"pro_library_administrator"}))
    for shortcut in ("ptty", "itty", "cipo", "org"):
        assert policy.can(admin, f"{shortcut}-read") and policy.can(admin, f"{shortcut}-search")
        for verb in ("create", "update", "delete", "access"):
            assert not policy.can(admin, f"{shortcut}-{verb}"), f"{shortcut}-{verb}"
    assert not policy.can(admin, "permission-management")
    assert policy.can(admin, "lib-update", pro_record(libraries=("10",)))
    assert error_of(admin, "lib-update", pro_record(libraries=("11",))) is PermissionDenied


def test_deny_overrides_every_grant():
    person = staff({"pro_full_permissions", "pro_user_manager"}, denied=frozenset({"ptrn-update"}))
    denied = ident(person)
    decision = policy.decide(denied, "ptrn-update", patron_record())
    assert decision.error is PermissionDenied and "denied" in decision.reason
    assert ActionNeed("ptrn-update") not in denied.provides
    assert policy.can(denied, "ptrn-read", patron_record())


def test_superuser_is_not_limited_by_a_deny():
    su = ident(Person(user_id=1, account_roles=frozenset({"superuser"}), denied=frozenset({"org-create"})))
    assert policy.can(su, "org-create")


def test_document_importer_has_its_three_actions_and_what_anyone_has():
    importer = Person(user_id=5, account_roles=frozenset({"document_importer"}), token_only=True)
    assert importer.roles == {"any_user", "document_importer"}
    identity = ident(importer)
    for action in ("doc-create", "doc-update", "doc-delete", "doc-search"):
        assert policy.can(identity, action)
    assert not policy.can(identity, "notif-read")  # not even authenticated_user
    assert error_of(identity, "ptrn-search") is PermissionDenied


def test_network_wide_actions_come_from_account_roles():
    admin = ident(Person(user_id=2, account_roles=frozenset({"admin"})))
    full = ident(staff({"pro_full_permissions"}))
    assert policy.network_wide(admin, "permission-management")
    assert not policy.network_wide(full, "permission-management")
    policy.require_network(admin, "permission-management")
    with pytest.raises(PermissionDenied):
        policy.require_network(full, "permission-management")
    with pytest.raises(NotAuthenticated):
        policy.require_network(ident(ANONYMOUS), "permission-management")


def test_decide_any_prefers_a_visible_refusal_to_not_found():
    manager = ident(staff({"pro_user_manager"}, libraries=("10",)))
    targets = (pro_record(OTHER_ORG, ("20",)), pro_record(ORG, ("11",)))
    assert policy.decide_any(manager, "ptrn-update", targets).error is PermissionDenied
    assert policy.decide_any(manager, "ptrn-update", targets + (pro_record(ORG, ("10",)),))
    assert policy.decide_any(manager, "ptrn-update", targets[:1]).error is NotFound


def test_the_person_themself_always_sees_their_record():
    me = ident(patron(denied=frozenset({"ptrn-read"})))
    assert policy.decide_self_or(me, "ptrn-read", patron_record(owner=8))
    assert not policy.decide_self_or(me, "ptrn-read", patron_record(owner=9))


def test_provide_gives_role_action_organisation_library_and_user_needs():
    identity = ident(staff({"pro_full_permissions"}, libraries=("10",), organisation_libraries=("10", "11", "12")))
    provides = identity.provides
    assert {UserNeed(7), RoleNeed("pro_full_permissions"), RoleNeed("authenticated_user"), RoleNeed("any_user")} <= provides
    assert ActionNeed("permission-management") in provides and ActionNeed("org-create") not in provides
    assert OrganisationNeed(ORG) in provides
    assert {LibraryNeed("10"), LibraryNeed("11"), LibraryNeed("12")} <= provides
    narrow = ident(staff({"pro_circulation_manager"}, libraries=("10",))).provides
    assert LibraryNeed("10") in narrow and LibraryNeed("11") not in narrow


def test_patron_in_one_organisation_librarian_in_another():
    records = (
        RecordRoles(pid="a", organisation_pid=ORG, roles=frozenset({"patron"})),
        RecordRoles(pid="b", organisation_pid=OTHER_ORG, roles=frozenset({"pro_read_only"}), library_pids=frozenset({"20"})),
    )
    both = ident(Person(user_id=8, records=records))
    assert policy.can(both, "ptrn-read", patron_record(ORG, owner=8))  # their own patron record
    assert policy.can(both, "ptrn-read", patron_record(OTHER_ORG, owner=99))  # staff there
    assert error_of(both, "ptrn-read", patron_record(ORG, owner=99)) is NotFound  # no staff role here

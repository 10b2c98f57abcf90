"""Role identifiers (fixed by the public contract) and who may assign which."""

ANY_USER = "any_user"
AUTHENTICATED_USER = "authenticated_user"
SYSTEM_ROLES = (ANY_USER, AUTHENTICATED_USER)

SUPERUSER = "superuser"
ADMIN = "admin"
MONITORING = "monitoring"
DOCUMENT_IMPORTER = "document_importer"
ACCOUNT_ROLES = (SUPERUSER, ADMIN, MONITORING, DOCUMENT_IMPORTER)

PATRON = "patron"
PRO_FULL = "pro_full_permissions"
PRO_LIBRARY_ADMIN = "pro_library_administrator"
PRO_READ_ONLY = "pro_read_only"
PRO_CATALOG = "pro_catalog_manager"
PRO_CIRCULATION = "pro_circulation_manager"
PRO_USER_MANAGER = "pro_user_manager"
PRO_ACQUISITION = "pro_acquisition_manager"
PRO_ENTITY = "pro_entity_manager"
PRO_STATISTICS = "pro_statistic_manager"
PRO_ROLES = (
    PRO_FULL,
    PRO_LIBRARY_ADMIN,
    PRO_READ_ONLY,
    PRO_CATALOG,
    PRO_CIRCULATION,
    PRO_USER_MANAGER,
    PRO_ACQUISITION,
    PRO_ENTITY,
    PRO_STATISTICS,
)
RECORD_ROLES = (PATRON,) + PRO_ROLES
ALL_ROLES = SYSTEM_ROLES + ACCOUNT_ROLES + RECORD_ROLES

# role -> the record roles it may add to or remove from a patron record
ASSIGNABLE = {
    SUPERUSER: frozenset(RECORD_ROLES),
    PRO_FULL: frozenset(RECORD_ROLES),
    PRO_LIBRARY_ADMIN: frozenset(
        {PATRON, PRO_READ_ONLY, PRO_CIRCULATION, PRO_CATALOG, PRO_USER_MANAGER, PRO_ACQUISITION}
    ),
    PRO_USER_MANAGER: frozenset({PATRON}),
}


def is_professional(roles):
    return any(role in PRO_ROLES for role in roles)


def assignable_by(roles):
    """The record roles someone holding ``roles`` may manage."""
    allowed = set()
    for role in roles:
        allowed |= ASSIGNABLE.get(role, frozenset())
    return allowed

"""What ``init`` adds to the tables of an existing database: ``create_all`` makes missing
tables, never missing columns. A nullable column added to a model since (such as
``accounts_user.language``) is added here, so ``rero-ils-users init`` stays the one
idempotent upgrade step (no migration tool for a handful of nullable columns)."""

from invenio_db import db
from sqlalchemy import inspect


def missing_columns():
    """``[(table, column)]`` of the models' nullable columns the database lacks."""
    inspector = inspect(db.engine)
    tables = set(inspector.get_table_names())
    missing = []
    for table in db.metadata.sorted_tables:
        if table.name not in tables:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [(table, column) for column in table.columns if column.name not in present and column.nullable]
    return missing


def add_missing_columns():
    """Add them (``ALTER TABLE ... ADD COLUMN``); returns their ``table.column`` names."""
    added = []
    for table, column in missing_columns():
        kind = column.type.compile(dialect=db.engine.dialect)
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
        added.append(f"{table.name}.{column.name}")
    return added

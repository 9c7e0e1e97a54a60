"""The schema revisions themselves: they build exactly the tables of ``schema.py`` on every
backend, are numbered one after another, step down as well as up, and a new one is one file
made by the documented ``alembic`` commands."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hashdb.errors import SchemaTooNew, StoreUnavailable
from hashdb.store import NewEntry, open_store
from hashdb.store.migrations import head_revision, migrate, revision_number, stored_revision
from hashdb.store.migrations.runner import HEAD_REVISION, MIGRATIONS_DIR, alembic_config
from hashdb.store.schema import BigId, metadata, schema_info
from tests.store.databases import (
    create_legacy_database,
    differences_from_models,
    raw_engine,
    table_names,
)

ROOT = Path(__file__).resolve().parents[2]
#: The revision these tests add on top of the shipped ones, and the one below it.
HEAD = head_revision()
NEXT = f"{revision_number(HEAD) + 1:04d}"

# A next revision as the media-items change might write it: a new table, and a column with a
# foreign key on ``entries``, which SQLite can only add by rebuilding the table (batch mode)
# while other tables' rows refer to it.
MEDIA_ITEMS_REVISION = """
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "{next}"
down_revision = "{head}"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("media_items", sa.Column("id", BigId, primary_key=True))
    with op.batch_alter_table("entries") as entries:
        entries.add_column(sa.Column("media_item_id", BigId))
        entries.create_foreign_key(
            "entries_media_item_id_fkey", "media_items", ["media_item_id"], ["id"]
        )
    {data_step}


def downgrade() -> None:
    pass
"""


def _revisions_with_media_items(tmp_path: Path, data_step: str = "") -> Path:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    revision = MEDIA_ITEMS_REVISION.format(data_step=data_step or "pass", next=NEXT, head=HEAD)
    (copy / "versions" / f"{NEXT}_media_items.py").write_text(revision)
    return copy


def _store_with_references(url: str) -> int:
    """A database at the current head whose entry other tables' rows refer to."""
    store = open_store(url)
    hash_list = store.ensure_list("terror")
    (added,) = store.add_entries(hash_list.id, [NewEntry("pdq", bytes(range(32)))])
    store.add_vocabulary("type", ["execution"])
    store.set_entry_labels(added.entry_id, ["type:execution"])
    store.close()
    return added.entry_id


def test_the_models_and_the_revisions_agree(db_url: str) -> None:
    """A new database, built by running every revision, has exactly the tables, columns,
    types, indexes and keys of ``schema.py``: a change there without a revision fails here."""
    open_store(db_url).close()
    engine = raw_engine(db_url)
    with engine.connect() as connection:
        assert differences_from_models(connection) == []
    engine.dispose()


def test_the_agreement_check_sees_a_schema_change_without_a_revision(db_url: str) -> None:
    open_store(db_url).close()
    changed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["entries"].append_column(sa.Column("column_without_a_revision", BigId))
    changed.tables["lists"].c.action.type = sa.String(40)
    sa.Table("table_without_a_revision", changed, sa.Column("id", BigId, primary_key=True))
    engine = raw_engine(db_url)
    with engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), changed)
    engine.dispose()
    kinds = {(diff[0] if isinstance(diff, tuple) else diff[0][0]) for diff in found}
    assert kinds == {"add_column", "add_table", "modify_type"}


def test_revisions_are_numbered_one_after_another() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    in_order = list(reversed(list(scripts.walk_revisions())))
    assert [script.revision for script in in_order] == [
        f"{number:04d}" for number in range(1, len(in_order) + 1)
    ]
    assert [script.down_revision for script in in_order] == [
        None,
        *(script.revision for script in in_order[:-1]),
    ]
    for script in in_order:
        assert script.path is not None
        assert re.fullmatch(rf"{script.revision}_[a-z0-9_]+\.py", Path(script.path).name)
    assert scripts.get_heads() == [head_revision()]


def test_each_revision_steps_down_and_up_again(db_url: str) -> None:
    create_legacy_database(db_url, "version 1")
    version_1 = sa.MetaData()
    engine = raw_engine(db_url)
    with engine.begin() as connection:
        version_1.reflect(connection)
        connection.execute(sa.text("INSERT INTO changes (kind, at) VALUES ('list', '2026-01-01')"))
    open_store(db_url).close()

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), version_1) == []
        assert connection.execute(sa.select(schema_info.c.version)).scalars().all() == [1]
        assert connection.execute(sa.text("SELECT kind FROM changes")).scalars().all() == ["list"]

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert table_names(db_url) == {"alembic_version"}

    open_store(db_url).close()
    with engine.connect() as connection:
        assert stored_revision(connection) == head_revision()
        assert differences_from_models(connection) == []
    engine.dispose()


def test_a_new_revision_is_one_file_made_by_the_alembic_command(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The workflow of docs/development/migrations.md, on a copy of the revisions: the
    ``alembic`` command (configured in pyproject.toml) brings a scratch database to the head,
    autogenerates the next revision as ``<head + 1>_<message>.py``, and applies it; this hashdb then
    refuses the database, and so do the releases from before Alembic (``hashdb_schema``)."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    config = Config(
        toml_file=str(ROOT / "pyproject.toml"),
        cmd_opts=Namespace(x=[f"url=sqlite:///{sqlite_url}"]),
    )
    config.set_main_option("script_location", str(copy))
    command.upgrade(config, "head")
    command.check(config)  # the models agree with the revisions: nothing to generate

    command.revision(config, message="media items", autogenerate=True)
    (new,) = (copy / "versions").glob(f"{NEXT}_*.py")
    assert new.name == f"{NEXT}_media_items.py"
    text = new.read_text()
    assert f'revision = "{NEXT}"' in text and f'down_revision = "{HEAD}"' in text
    lint = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            ROOT / "pyproject.toml",
            new,
        ],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout

    command.upgrade(config, "head")
    engine = raw_engine(sqlite_url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == NEXT
        assert connection.execute(sa.select(schema_info.c.version)).scalars().all() == [int(NEXT)]
    engine.dispose()
    with pytest.raises(SchemaTooNew):
        open_store(sqlite_url)


def test_a_revision_may_rebuild_a_table_other_rows_refer_to(db_url: str, tmp_path: Path) -> None:
    entry_id = _store_with_references(db_url)
    revisions = _revisions_with_media_items(tmp_path)
    engine = raw_engine(db_url)
    assert migrate(engine, revisions) == HEAD

    expected = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(expected)
    media_items = sa.Table("media_items", expected, sa.Column("id", BigId, primary_key=True))
    expected.tables["entries"].append_column(
        sa.Column("media_item_id", BigId, sa.ForeignKey(media_items.c.id))
    )
    with engine.connect() as connection:
        assert stored_revision(connection, revisions) == NEXT
        assert compare_metadata(MigrationContext.configure(connection), expected) == []
        labels = connection.execute(sa.text("SELECT entry_id, label FROM entry_labels"))
        assert labels.all() == [(entry_id, "type:execution")]
        if engine.dialect.name == "sqlite":  # enforced again once the upgrade is over
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    engine.dispose()


def test_a_revision_that_breaks_references_changes_nothing(db_url: str, tmp_path: Path) -> None:
    _store_with_references(db_url)
    revisions = _revisions_with_media_items(tmp_path, 'op.execute("DELETE FROM lists")')
    engine = raw_engine(db_url)
    with pytest.raises((StoreUnavailable, sa.exc.IntegrityError)) as error:
        migrate(engine, revisions)
    assert "lists" in str(error.value) or "entries" in str(error.value)
    with engine.connect() as connection:
        assert stored_revision(connection, revisions) == HEAD
        assert "media_items" not in sa.inspect(connection).get_table_names()
        assert connection.execute(sa.text("SELECT name FROM lists")).scalars().all() == ["terror"]
    engine.dispose()


def test_the_quick_head_is_alembics_head() -> None:
    # Opening a database at HEAD_REVISION skips Alembic altogether: a new revision must move it.
    assert head_revision() == HEAD_REVISION

"""A consistent copy of the SQLite database while the server runs (SQLite's online backup API).

The copy is made in one step under a read lock: it is a snapshot of one moment, never a mix of
before and after a write. Writers wait for it (SQLite serialises them anyway; with the 20 s busy
timeout of cxsms_site/settings.py they wait rather than fail), which for a database of a few
hundred megabytes is a second or two. PostgreSQL is backed up with pg_dump (docs/operations.md).
"""
import os
import sqlite3
from pathlib import Path

from django.db import connection


class BackupError(Exception):
    pass


def sqlite_database_path(conn=connection):
    if conn.vendor != "sqlite":
        raise BackupError(f"The database is {conn.vendor}, not SQLite: back it up with pg_dump (docs/operations.md).")
    name = str(conn.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file::memory:") or "mode=memory" in name:
        raise BackupError("The database lives in memory: there is no file to back up.")
    return Path(name)


def sqlite_backup(destination, conn=connection):
    """Copy the database to `destination` (written next to it first, then renamed: a file at
    `destination` is always a whole backup). Returns the number of tables copied."""
    source_path = sqlite_database_path(conn)
    destination = Path(destination)
    if destination.resolve() == source_path.resolve():
        raise BackupError("The backup cannot overwrite the database itself.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=20)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # pages=-1: the whole database in one step, one consistent snapshot
            check = target.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"The copy failed SQLite's integrity check: {check}")
            tables = target.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        finally:
            target.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, destination)
    return tables

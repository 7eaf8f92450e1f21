"""`manage.py backup_sqlite` while texts are being written, and a restore that finds every row."""
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from routing.models import Message, Room
from tests import factories as f
from tests.hub import post_inbound

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db(transaction=True)  # the copy reads committed rows through its own connection


def rows(db_path):
    """{table: sorted rows} of every table of an SQLite file."""
    with sqlite3.connect(db_path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


@pytest.fixture
def line():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backup command")
    t = f.tenant(slug="backup-porridge")
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    f.agent(t, team=f.team(t), skills=[sms], state="available")
    return t, poc


def test_backup_while_texts_arrive_is_consistent_and_restores_every_row(client, line, tmp_path):
    _, poc = line
    stop = threading.Event()
    written = []

    def texts_keep_coming():
        from django.test import Client

        c = Client()
        i = 0
        while not stop.is_set():
            i += 1
            post_inbound(c, poc, f"+1202555{i % 10000:04d}", f"text {i}")
            written.append(i)
        connections.close_all()

    writer = threading.Thread(target=texts_keep_coming)
    writer.start()
    try:
        while len(written) < 5:
            threading.Event().wait(0.05)
        call_command("backup_sqlite", str(tmp_path / "during.sqlite3"))
    finally:
        stop.set()
        writer.join(30)
    # The copy taken under load is whole: every message's room is in it, and SQLite finds no damage.
    with sqlite3.connect(tmp_path / "during.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        messages = db.execute(f"SELECT count(*) FROM {Message._meta.db_table}").fetchone()[0]
        orphans = db.execute(f"SELECT count(*) FROM {Message._meta.db_table} m LEFT JOIN {Room._meta.db_table} r "
                             f"ON r.id = m.room_id WHERE r.id IS NULL").fetchone()[0]
    assert messages >= 5 and orphans == 0

    # Once quiet, a backup restores to exactly what the database holds, table by table.
    call_command("backup_sqlite", str(tmp_path / "quiet.sqlite3"))
    restored = tmp_path / "restored.sqlite3"
    restored.write_bytes((tmp_path / "quiet.sqlite3").read_bytes())
    assert rows(restored) == rows(connection.settings_dict["NAME"])
    assert len(rows(restored)[Message._meta.db_table]) == Message.objects.count() == len(written)
    # The restored file is a database the product starts on: every migration applied.
    env = {"DATABASE_URL": f"sqlite:///{restored}", "PATH": "/usr/bin:/bin"}
    check = subprocess.run([sys.executable, "manage.py", "migrate", "--check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_backup_refuses_to_overwrite_the_database(line):
    with pytest.raises(CommandError, match="cannot overwrite the database"):
        call_command("backup_sqlite", str(connection.settings_dict["NAME"]))

"""Worker threads keep a healthy database connection between calls and give back one that saw an
error (routing/threads.py)."""
import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection

from routing import threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]


def _healthy():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return threading.current_thread(), connection.connection


def _broken():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")
    except DatabaseError:
        pass  # the caller handled it; the connection is still not to be trusted
    return threading.current_thread(), connection.connection


async def test_a_healthy_connection_is_kept_and_reused():
    # One worker thread, so the second call surely runs where the first did.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1))
    thread, first = await threads.in_worker_thread(_healthy)()
    assert threads._kept[(thread, connection.alias)].connection is first
    again, second = await threads.in_worker_thread(_healthy)()
    assert again is thread and second is first  # the same connection, no new connect


async def test_a_connection_that_saw_an_error_is_given_back():
    thread, _ = await threads.in_worker_thread(_broken)()
    assert (thread, connection.alias) not in threads._kept


async def test_close_kept_connections_closes_them_from_another_thread():
    thread, _ = await threads.in_worker_thread(_healthy)()
    kept = threads._kept[(thread, connection.alias)]
    await sync_to_async(threads.close_kept_connections)()  # as the tests' teardown does, from another thread
    assert not threads._kept
    if not getattr(kept, "is_in_memory_db", lambda: False)():  # Django never closes an in-memory SQLite test database
        assert kept.connection is None

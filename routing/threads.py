"""Database work started from the event loop (socket actions and reads, the carrier webhooks) runs
in the loop's worker threads, and each thread keeps its database connection between calls.

Channels' database_sync_to_async closes every connection before and after each call, as Django
does around a request. With the connection pool (PostgreSQL) that meant checking a connection out
and back in, and Django's connect, twice per text and per agent action: most of a tenth of a
server process's CPU at load (docs/benchmarks.md). Here a thread closes its connection only when
it cannot be trusted any more: an error happened on it, or a transaction was left open. The
threads are few (the loop's default executor), so they hold at most that many connections.
"""
import threading

from asgiref.sync import SyncToAsync
from django.db import connections

_kept = {}  # (worker thread, database alias) -> the connection wrapper that thread keeps open
_kept_lock = threading.Lock()


def _close(conn):
    """Close a kept connection from any thread (its own is done with it, or gone)."""
    conn.inc_thread_sharing()
    try:
        conn.close()
    finally:
        conn.dec_thread_sharing()


def settle():
    """After a thread's piece of work: keep its connection unless it cannot be trusted any more."""
    me = threading.current_thread()
    for conn in connections.all(initialized_only=True):
        untrusted = conn.connection is None or conn.errors_occurred or conn.in_atomic_block or not conn.get_autocommit()
        if untrusted:
            conn.close()
        with _kept_lock:
            if untrusted:
                _kept.pop((me, conn.alias), None)
            else:
                _kept[(me, conn.alias)] = conn
    # A worker thread that ended (its executor shut down with its event loop) gives its connection back.
    with _kept_lock:
        orphans = [_kept.pop(key) for key in [key for key in _kept if not key[0].is_alive()]]
    for conn in orphans:
        _close(conn)


class _KeepingConnection(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            settle()


def in_worker_thread(func):
    """`func` as a coroutine function run in one of the loop's worker threads (not the single
    thread-sensitive one: two hundred sockets must not queue behind each other)."""
    return _KeepingConnection(func, thread_sensitive=False)


def close_kept_connections():
    """Close every connection worker threads keep (tests, before their database is dropped)."""
    with _kept_lock:
        kept = list(_kept.values())
        _kept.clear()
    for conn in kept:
        _close(conn)

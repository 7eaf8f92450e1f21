"""The embedded default's channel layer: Channels' in-memory layer, with its expiry sweep run at most
once a second instead of on every send and receive.

Stock `InMemoryChannelLayer._clean_expired` walks every channel and every group membership on each
`receive` and `group_send`: with 200 agent sockets that walk was about a quarter of the web process's
CPU per text (py-spy, `make bench` sqlite-1 at 20 texts/s; docs/benchmarks.md). Messages expire after
60 s and memberships after a day, so sweeping a second late changes nothing a client can see.
"""
import time

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *, sweep_every=1.0, **config):
        super().__init__(**config)
        self.sweep_every = sweep_every  # seconds
        self._swept_at = float("-inf")

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._swept_at < self.sweep_every:
            return
        self._swept_at = now
        super()._clean_expired()

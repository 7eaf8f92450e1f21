"""A worker process's pushes (routing.events.Publisher): on the Redis pub/sub layer they are
published from the job's thread and reach a socket's group in the layer's own format; on the
in-memory layer (one process) the pump keeps them."""
import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from routing import events

pytestmark = pytest.mark.pg


async def test_a_worker_s_direct_push_reaches_the_group_a_socket_listens_to():
    layer = get_channel_layer()
    try:
        installed = events.publish_directly()
        if type(layer).__name__ != "RedisPubSubChannelLayer":
            assert installed is False  # the in-memory layer reaches only its own process's sockets
            return
        assert installed is True
        channel = await layer.new_channel()
        await layer.group_add(events.agent_group(424242), channel)
        await asyncio.sleep(0.2)  # the subscription is made on the layer's own connection
        await sync_to_async(events._send_now)(events.agent_group(424242), {"type": "message.status", "status": "delivered"})
        message = await asyncio.wait_for(layer.receive(channel), 5)
        assert message == {"type": "push", "event": {"type": "message.status", "status": "delivered"}}
        await layer.group_discard(events.agent_group(424242), channel)
    finally:
        events._publisher = None

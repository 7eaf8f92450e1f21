"""The embedded channel layer (cxsms_site/layers.py) sweeps at most once a second and still expires
what the stock layer expires."""
import asyncio

from cxsms_site.layers import SweepingInMemoryChannelLayer


async def test_an_expired_message_and_its_channel_s_memberships_are_still_dropped():
    layer = SweepingInMemoryChannelLayer(expiry=0.05, sweep_every=3600)
    await layer.group_add("agents", "specific.a!1")
    await layer.group_add("agents", "specific.b!1")
    await layer.send("specific.a!1", {"type": "old"})
    await layer.group_send("agents", {"type": "first"})  # the first call sweeps: nothing has expired yet
    assert (await layer.receive("specific.b!1"))["type"] == "first"  # b reads its messages, a does not
    await asyncio.sleep(0.1)
    await layer.group_send("agents", {"type": "within"})  # a's have expired, but the last sweep is too recent
    assert (await layer.receive("specific.b!1"))["type"] == "within"
    assert layer.channels["specific.a!1"].qsize() == 3 and set(layer.groups["agents"]) == {"specific.a!1", "specific.b!1"}
    layer._swept_at -= 3600  # as if the hour had passed
    await asyncio.sleep(0.1)
    await layer.group_send("agents", {"type": "after"})  # the sweep runs: a's old messages go, and a leaves the group
    assert set(layer.groups["agents"]) == {"specific.b!1"}
    assert (await layer.receive("specific.b!1"))["type"] == "after"

"""R3/R4: the shared chat/SMS session limit and "may this agent receive one more?"."""
from dataclasses import dataclass

from django.db.models import Count, Q

from .choices import CAPACITY_ROOM_STATES, Channel


@dataclass(frozen=True)
class Load:
    chat: int
    sms: int
    limit: int

    @property
    def held(self):
        return self.chat + self.sms

    @property
    def free(self):
        return max(self.limit - self.held, 0)


def agent_load(agent):
    """The chats and SMS an agent holds (offered or active) against the effective limit."""
    from .models import Room

    counts = Room.objects.filter(agent=agent, state__in=CAPACITY_ROOM_STATES).aggregate(
        chat=Count("id", filter=Q(channel=Channel.CHAT)), sms=Count("id", filter=Q(channel=Channel.SMS)))
    return Load(chat=counts["chat"], sms=counts["sms"], limit=agent.effective_session_limit)


def agent_holds_channel(agent, channel):
    return agent.agent_skills.filter(skill__channel=channel).exists()


def agent_may_receive(agent, channel, load=None):
    """R4: only for channels the agent holds a skill for, and only while chats + SMS < limit."""
    if not agent_holds_channel(agent, channel):
        return False
    load = load or agent_load(agent)
    return load.held < load.limit

"""The `digital` delivery mode (R2, R15): a new thread becomes a case, later texts reach it. Registered
with the text hub in DigitalConfig.ready()."""
from routing.choices import SmsDelivery
from routing.hub import delivery

from . import selectors, services, sockets


class DigitalDelivery(delivery.Mode):
    name = SmsDelivery.DIGITAL
    agent_home = "digital:inbox"
    agent_actions = sockets.ACTIONS

    def hand_off(self, room, message, trigger):
        services.case_open(room=room, message=message)

    def received(self, room, message):
        case = services.case_for_room(room.pk)
        if case is not None:
            services.case_received(case=case, message=message)

    def forced_disconnect(self, tenant, now):
        return services.cases_force_close(tenant_id=tenant.pk, now=now)

    def open_without_room(self, tenant):
        return selectors.live_cases_without_room(tenant.pk)

    def agent_snapshot(self, agent):
        return selectors.agent_snapshot(agent)

"""The `acd` delivery mode: a new room's skill and priority come from its point of contact's
routing script (R12), then the engine offers it to an agent or queues it (R13); a closed room frees
its agent's slot for the queue. Registered with the text hub in RoutingConfig.ready()."""
from ..choices import SmsDelivery
from ..hub import delivery
from . import acknowledge, capacity, scripts
from .offers import route
from .queues import dispatch_on_commit


class AcdDelivery(delivery.Mode):
    name = SmsDelivery.ACD

    def open_fields(self, poc, body, now):
        outcome = scripts.evaluate(poc, body, now)
        return delivery.Opening(room_fields={"skill_id": outcome.skill_id, "priority": outcome.priority, "routed_by": outcome.rule},
                                after_hours=outcome.after_hours, skill=outcome.skill)

    def hand_off(self, room, message, trigger):
        route(room, message, trigger, fresh=True)
        acknowledge.schedule(room)  # a job only when the point of contact acknowledges (off by default)

    def released(self, room, agent_id):
        capacity.recount(agent_id)
        dispatch_on_commit([agent_id])

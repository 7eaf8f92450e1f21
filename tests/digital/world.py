"""A Digital Experience tenant for the tests, built through the services like the product does."""
from dataclasses import dataclass

from digital import services as digital_services
from digital.models import Filter, Queue
from routing import services
from routing.choices import AgentState, Role
from tests import factories as f


@dataclass
class World:
    tenant: object
    poc: object
    prospects: object
    general: object
    tommy: object
    ann: object
    supervisor: object
    admin: object


def digital_world(case_limit=5, available=True, poc_number=None):
    tenant = f.tenant(digital=True, delivery="digital", case_limit=case_limit)
    poc = f.sms_poc(tenant, number=poc_number)
    state = AgentState.AVAILABLE if available else None
    tommy = f.agent(tenant, username=f"tommy{tenant.pk}", state=state)
    ann = f.agent(tenant, username=f"ann{tenant.pk}", state=state)
    supervisor = f.user(tenant, username=f"sup{tenant.pk}", role=Role.SUPERVISOR)
    admin = f.admin(tenant, username=f"admin{tenant.pk}")
    prospects = digital_services.queue_save(instance=Queue(tenant=tenant, name="Prospects", priority=1), agents=[tommy, ann])
    general = digital_services.queue_save(instance=Queue(tenant=tenant, name="General", priority=2, is_fallback=True), agents=[tommy, ann])
    services.object_save(instance=Filter(tenant=tenant, queue=prospects, position=10, name="Adventure", keywords="#ADVENTUREME"))
    return World(tenant, poc, prospects, general, tommy, ann, supervisor, admin)


def api(client, user):
    client.force_login(user)
    return client

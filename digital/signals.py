"""An agent who becomes available may take waiting cases at once (the sweep would within seconds)."""
from django.db.models.signals import post_save
from django.dispatch import receiver

from routing.choices import AgentState, Role, SmsDelivery
from routing.models import User

from . import services


@receiver(post_save, sender=User, dispatch_uid="digital.agent_saved")
def agent_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and "state" not in update_fields:
        return  # the ACD's own bookkeeping (counts, flags): no state change, no query
    if (instance.role == Role.AGENT and instance.state == AgentState.AVAILABLE and instance.tenant_id
            and instance.tenant.sms_delivery == SmsDelivery.DIGITAL):
        services.dispatch_soon(instance.tenant_id)

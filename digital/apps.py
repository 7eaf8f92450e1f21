from django.apps import AppConfig


class DigitalConfig(AppConfig):
    name = "digital"
    verbose_name = "Digital Experience"

    def ready(self):
        from routing import events as routing_events
        from routing import jobs
        from routing.console import nav
        from routing.hub import delivery as hub_delivery

        from . import events as digital_events
        from . import services, signals  # noqa: F401 (signals: connects the receivers)
        from .delivery import DigitalDelivery

        hub_delivery.register(DigitalDelivery())
        routing_events.on_message_status(digital_events.message_status)
        jobs.register("digital.dispatch", services.dispatch, queue="timers")
        jobs.register("digital.expire", services.case_expire, queue="timers")
        jobs.register("digital.sweep", services.sweep, queue="timers", every=1)  # offers lapse within a second
        for label, url_name, section in [("Queues", "digital:queue_list", "digital_queues"),
                                         ("Filters", "digital:filter_list", "digital_filters")]:
            nav.add("Digital Experience", label, url_name, section=section, visible=_digital_enabled)
        nav.add("Digital Experience", "Inbox", "digital:inbox", section="inbox", visible=_digital_delivery)


def _digital_enabled(user):
    return bool(user.tenant_id and user.tenant.digital_experience_enabled)


def _digital_delivery(user):
    return bool(user.tenant_id and user.tenant.sms_delivery == "digital")

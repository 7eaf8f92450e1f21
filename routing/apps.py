from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "SMS Messaging (ACD)"

    def ready(self):
        from . import jobs, signals  # noqa: F401 (signals: connects the receivers)
        from .acd import declines, queues
        from .acd.handoff import AcdDelivery
        from .hub import delivery, outbox, rooms

        delivery.register(AcdDelivery())
        _console_sidebar()
        # The text hub's work: one job per text out, one per timer, and their safety sweeps.
        jobs.register("outbox.deliver", outbox.outbox_deliver, queue="outbox")
        jobs.register("outbox.sweep", outbox.outbox_retry, queue="outbox", every=1.0)
        jobs.register("rooms.expire_room", rooms.expire_room, queue="timers")
        jobs.register("rooms.sweep", rooms.expire_rooms, queue="timers", every=1.0)
        # The ACD's: offers that lapse, and the queue sweep.
        jobs.register("acd.lapse_offer", declines.lapse_offer, queue="timers")
        jobs.register("acd.lapse_sweep", declines.lapse_offers, queue="timers", every=1.0)
        jobs.register("acd.queue_sweep", queues.dispatch_queued, queue="timers", every=5.0)


def _console_sidebar():
    from .console import nav

    for group, label, url_name, section in [
            ("Administration", "Dashboard", "console:dashboard", "dashboard"),
            ("People", "Users", "console:user_list", "users"), ("People", "Teams", "console:team_list", "teams"),
            ("People", "Skills", "console:skill_list", "skills"),
            ("Channels", "Points of contact", "console:poc_list", "pocs"), ("Channels", "Carrier accounts", "console:carrier_list", "carriers"),
            ("Tenant", "Settings", "console:settings", "settings"), ("Tenant", "API tokens", "console:tokens", "tokens"),
            ("Tenant", "Audit log", "audit:audit_log", "audit"),
            ("Tenant", "Erase a contact", "console:erase_contact", "erase_contact"),
            ("Live", "Supervisor view", "supervisor", ""), ("Live", "Phone simulator", "simulator", ""),
            ("Live", "Forced disconnect", "console:forced_disconnect", "forced_disconnect")]:
        nav.add(group, label, url_name, section=section)

from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "SMS Messaging (ACD)"

    def ready(self):
        from . import jobs, signals  # noqa: F401 (signals: connects the receivers)
        from .acd import acknowledge, declines, queues
        from .acd.handoff import AcdDelivery
        from .hub import delivery, outbox, rooms
        from .ops import metrics, retention
        from .ops import workers as ops_workers
        from .reports import rollup, sections

        from django.db.models.signals import pre_migrate

        from .migrate_checks import refuse_clashing_names

        pre_migrate.connect(refuse_clashing_names, sender=self, dispatch_uid="routing.refuse_clashing_names")
        delivery.register(AcdDelivery())
        _console_sidebar()
        sections.register()  # the report pages' own sections; other apps add theirs the same way
        # The text hub's work: one job per text out and per timer; the sweeps find what a lost job left.
        jobs.register("outbox.deliver", outbox.outbox_deliver, queue="outbox")
        jobs.register("outbox.sweep", outbox.outbox_retry, queue="outbox", every=10)
        jobs.register("rooms.expire_room", rooms.expire_room, queue="timers")
        jobs.register("rooms.sweep", rooms.expire_rooms, queue="timers", every=5)
        # The ACD's: offers' lapses and the queue sweep (rooms whose routing never ran). Lapses have no job
        # of their own: nearly every offer is accepted or rejected first, and a job per offer, firing for
        # nothing 45 s later, cost the worker more than one indexed read a second (docs/benchmarks.md).
        jobs.register("acd.lapse_sweep", declines.lapse_offers, queue="timers", every=1)
        jobs.register("acd.queue_sweep", queues.dispatch_queued, queue="timers", every=5)
        # A waiting contact's acknowledgement (per point of contact, off by default) and its sweep.
        jobs.register("acd.acknowledge", acknowledge.acknowledge, queue="timers")
        jobs.register("acd.acknowledge_sweep", acknowledge.acknowledge_due, queue="timers", every=5)
        # Reports: the per-room rollup, kept current (a report also refreshes its tenant when stale).
        jobs.register("reports.refresh", rollup.refresh_job, queue="maintenance", every=60)
        # Operations: a worker reports in (the supervisor page and /readyz read it); retention.
        jobs.register("workers.beat", ops_workers.beat_job, queue="timers", every=5)
        jobs.register("retention.transcripts_prune", retention.prune_job, queue="maintenance", every=60)
        metrics.register_queue_probe("jobs", lambda now: [metrics.QueueDepth(f"jobs.{name}", n, None)
                                                          for name, n in jobs.pending().items()])


def _console_sidebar():
    from .console import nav

    for group, label, url_name, section in [
            ("Administration", "Dashboard", "console:dashboard", "dashboard"),
            ("People", "Users", "console:user_list", "users"), ("People", "Teams", "console:team_list", "teams"),
            ("People", "Skills", "console:skill_list", "skills"),
            ("Workspace", "Canned responses", "console:canned_list", "canned"),
            ("Workspace", "Dispositions", "console:disposition_list", "dispositions"),
            ("Workspace", "Unavailable reasons", "console:unavailable_reason_list", "unavailable_reasons"),
            ("Channels", "Points of contact", "console:poc_list", "pocs"),
            ("Channels", "Carrier accounts", "console:carrier_list", "carriers"),
            ("Tenant", "Settings", "console:settings", "settings"), ("Tenant", "API tokens", "console:tokens", "tokens"),
            ("Tenant", "Audit log", "audit:audit_log", "audit"),
            ("Tenant", "Erase a contact", "console:erase_contact", "erase_contact"),
            ("Live", "Reports", "reports:reports", "reports"), ("Live", "Supervisor view", "supervisor", ""),
            ("Live", "Phone simulator", "simulator", ""),
            ("Live", "Forced disconnect", "console:forced_disconnect", "forced_disconnect")]:
        nav.add(group, label, url_name, section=section)

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Proactive SMS campaigns"

    def ready(self):
        from routing import jobs
        from routing.console import nav

        from . import dispatch, erasure, reports, services

        jobs.register("campaigns.dispatch", dispatch.dispatch, queue="campaigns")
        jobs.register("campaigns.import", services.contact_list_import_run, queue="campaigns")
        # On the timers queue: the campaigns queue's threads may all be busy dispatching.
        jobs.register("campaigns.sweep", dispatch.sweep, queue="timers", every=5)
        jobs.register("campaigns.import_sweep", services.contact_list_import_sweep, queue="timers", every=15)
        nav.add("Campaigns", "Campaigns", "campaigns:campaign_list", section="campaigns")
        nav.add("Campaigns", "Contact lists", "campaigns:list_list", section="contact_lists")
        erasure.register()
        reports.register()

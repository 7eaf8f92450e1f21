from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "SMS Messaging (ACD)"

    def ready(self):
        from . import signals  # noqa: F401
        from .reports import sections

        sections.register()

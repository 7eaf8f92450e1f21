from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "routing.audit"
    label = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import registry

        registry.register_configuration_models()

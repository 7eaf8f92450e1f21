from django.apps import AppConfig


class DigitalConfig(AppConfig):
    name = "digital"
    verbose_name = "Digital Experience"

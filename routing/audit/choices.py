from django.db import models


class Source(models.TextChoices):
    CONSOLE = "console", "Console"
    ADMIN = "admin", "Django admin"
    API = "api", "REST API"
    COMMAND = "command", "Command"


class Event(models.TextChoices):
    """Changes that are actions rather than an edited object."""

    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    FORCED_DISCONNECT = "forced_disconnect", "Forced disconnect"
    CONTACT_ERASED = "contact_erased", "Contact erased"

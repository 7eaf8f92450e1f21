"""Reactions to changes made by any entry point (console, Django admin, REST API, management
commands such as drf_create_token, the logout view), so none of them can forget one.

- An agent who logs out stops receiving offers (R13: logged-out agents get no new work).
- Rights that end, end everywhere: logout, a deleted or regenerated API token, a deleted session,
  deactivation, a changed role or tenant, a changed password or a deleted user tell every open
  socket of that user (events.user_rights_changed, after the commit) to re-check the sign-in it
  was opened with; those that no longer hold close within a second, in every server process.
"""
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from . import events
from .acd import agents
from .choices import AgentState, Role
from .models import User
from .ws_auth import session_fingerprint

# The fields a socket's rights depend on (ws_auth.Grant.still_refused).
RIGHTS_FIELDS = ("is_active", "tenant_id", "role", "password")


@receiver(user_logged_out)
def agent_logged_out(sender, request, user, **kwargs):
    if user is not None and getattr(user, "role", None) == Role.AGENT and user.state != AgentState.LOGGED_OUT:
        agents.agent_set_state(agent=user, state=AgentState.LOGGED_OUT)


@receiver(user_logged_out)
def sockets_of_session_end(sender, request, user, **kwargs):
    # Sent before logout() flushes the session: the sockets opened with it recognise its
    # fingerprint and close without waiting for the store.
    key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and user.pk is not None:
        events.user_rights_changed(user.pk, ended_session=session_fingerprint(key) if key else None)


@receiver(pre_save, sender=User)
def remember_rights(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and not {"is_active", "tenant", "role", "password"} & set(update_fields)):
        return
    instance._rights_before = User.objects.filter(pk=instance.pk).values_list(*RIGHTS_FIELDS).first()


@receiver(post_save, sender=User)
def rights_after_save(sender, instance, created, raw=False, **kwargs):
    before = instance.__dict__.pop("_rights_before", None)
    if before is not None and before != tuple(getattr(instance, f) for f in RIGHTS_FIELDS):
        events.user_rights_changed(instance.pk)


@receiver(post_delete, sender=User)
def rights_after_user_delete(sender, instance, **kwargs):
    events.user_rights_changed(instance.pk)


@receiver(post_delete, sender=Token)
def rights_after_token_delete(sender, instance, **kwargs):
    # drf_create_token -r deletes the old token and creates a new one; a deleted token also
    # comes from the console, the Django admin and token_revoke.
    events.user_rights_changed(instance.user_id)


@receiver(post_delete, sender=Session)
def rights_after_session_delete(sender, instance, **kwargs):
    user_id = instance.get_decoded().get(SESSION_KEY)
    if user_id and str(user_id).isdecimal() and str(user_id).isascii():
        events.user_rights_changed(int(user_id), ended_session=session_fingerprint(instance.session_key))

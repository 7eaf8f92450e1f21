"""Writes of the configuration (tenants, people, skills, carriers, points of contact, countries).

Every entry point (console, Django admin, REST API, demo loader) goes through these functions.
Rules live in the models' clean() and routing/rules.py; full_clean() here makes them apply
everywhere. The interaction side is in routing/hub (rooms, texts) and routing/acd (offers, availability).
"""
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from rest_framework.authtoken.models import Token

from . import rules
from .acd.queues import after_capacity_change
from .choices import Role
from .models import AgentSkill, Tenant, User


def _full_clean_and_save(instance, exclude=None):
    instance.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        # A race past full_clean's uniqueness check: same message as the check gives.
        raise ValidationError({"__all__": f"This {instance._meta.verbose_name} conflicts with an existing one ({exc.__class__.__name__})."})
    return instance


@transaction.atomic
def object_save(*, instance):
    """Create or update one configuration object after every rule has passed."""
    _full_clean_and_save(instance)
    after_capacity_change(instance)
    return instance


def tenant_lock(tenant_id):
    """Hold the tenant's row until the transaction ends: changes that count the tenant's rows (its
    administrators) wait for each other instead of both passing the count."""
    if tenant_id is not None:
        list(Tenant.objects.select_for_update().filter(pk=tenant_id).values_list("pk"))


def _lock_if_admin_leaves(user):
    was = rules.user_was_active_admin(user)
    if was is not None and was[1]:
        tenant_lock(was[0])


@transaction.atomic
def object_delete(*, instance):
    if isinstance(instance, User):
        _lock_if_admin_leaves(instance)
        rules.user_validate_keeps_admin(instance, deleting=True)
    try:
        instance.delete()
    except ProtectedError as exc:
        n = len(exc.protected_objects)
        raise ValidationError(f"“{instance}” is still used by {n} other object(s) (for example interactions or points of contact); "
                              "remove those first or deactivate it instead.")


@transaction.atomic
def user_save(*, user, password=None, skills=None):
    """Create or update a user; `skills` is a list of (skill, proficiency) or skills (proficiency 1)."""
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages})
        user.set_password(password)
    elif not user.pk and not user.password:
        user.set_unusable_password()
    _lock_if_admin_leaves(user)  # before full_clean counts the other administrators
    _full_clean_and_save(user, exclude=["password"] if not user.password else None)
    if skills is not None:
        user_set_skills(user=user, skills=skills)
    after_capacity_change(user)
    return user


@transaction.atomic
def user_set_skills(*, user, skills):
    wanted = {}
    for item in skills:
        skill, proficiency = item if isinstance(item, tuple) else (item, 1)
        if skill.tenant_id != user.tenant_id:
            raise ValidationError({"skills": "Select a valid choice. That choice is not one of the available choices."})
        wanted[skill.pk] = proficiency
    AgentSkill.objects.filter(agent=user).exclude(skill_id__in=wanted).delete()
    for skill_id, proficiency in wanted.items():
        link, _ = AgentSkill.objects.get_or_create(agent=user, skill_id=skill_id, defaults={"proficiency": proficiency})
        if link.proficiency != proficiency:
            link.proficiency = proficiency
            link.full_clean()
            link.save(update_fields=["proficiency"])
    after_capacity_change(user)


@transaction.atomic
def token_create(*, user):
    """A new API token for the user; the old one (if any) stops working."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def token_revoke(*, token):
    token.delete()


@transaction.atomic
def disposition_save(*, disposition, skills=None):
    """Create or update a disposition; `skills` (None: unchanged) are the skills it applies to (none: every skill)."""
    _full_clean_and_save(disposition)
    if skills is not None:
        if any(s.tenant_id != disposition.tenant_id for s in skills):
            raise ValidationError({"skills": "Choose skills of this tenant."})
        disposition.skills.set(skills)
    return disposition


@transaction.atomic
def canned_response_save(*, response, actor):
    """Create or update a canned response: tenant-wide ones (no owner) are the administrators'; an
    agent or supervisor writes only their own."""
    is_admin = actor.is_superuser or actor.role == Role.ADMIN
    if not is_admin and response.owner_id != actor.pk:
        raise PermissionDenied("Only administrators write canned responses for everyone; yours are your own.")
    return _full_clean_and_save(response)


@transaction.atomic
def canned_response_delete(*, response, actor):
    is_admin = actor.is_superuser or actor.role == Role.ADMIN
    if not is_admin and response.owner_id != actor.pk:
        raise PermissionDenied("Only administrators delete canned responses for everyone.")
    response.delete()

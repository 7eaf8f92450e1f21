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

from . import events, rules
from .acd.queues import after_capacity_change
from .choices import Role
from .models import AgentSkill, Contact, RoomNote, Team, Tenant, User
from .reports import history


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
    _limits_record(instance)
    return instance


def _limits_record(instance):
    """A team's or an agent's save may change the session limit in force: the reports' history keeps it."""
    if isinstance(instance, Team):
        history.limits_record(agent_ids=list(instance.members.values_list("id", flat=True)))
    elif isinstance(instance, User):
        history.limits_record(agent_ids=[instance.pk])


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
    members = list(instance.members.values_list("id", flat=True)) if isinstance(instance, Team) else []
    try:
        instance.delete()
    except ProtectedError as exc:
        raise ValidationError(f"“{instance}” is still used by {_what_uses(exc.protected_objects)}: "
                              "remove those first or deactivate it instead.")
    if members:  # they are left without a team: the limit without one applies
        history.limits_record(agent_ids=members)


# Rows named in words a person uses (a room is a conversation to them).
_USE_WORDS = {"room": ("conversation", "conversations"), "message": ("text", "texts")}


def _what_uses(objects):
    """'1 point of contact and 2 conversations', from the rows that keep an object from being deleted."""
    counts = {}
    for obj in objects:
        meta = obj._meta
        words = _USE_WORDS.get(meta.model_name, (str(meta.verbose_name), str(meta.verbose_name_plural)))
        counts[words] = counts.get(words, 0) + 1
    parts = [f"{n} {one if n == 1 else many}" for (one, many), n in sorted(counts.items())]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


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
    _limits_record(user)
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


CARD_FIELDS = ["name", "tags", "notes"]


@transaction.atomic
def contact_save(*, instance, actor=None):
    """Create or change a contact card (name, tags, notes), the one the ACD workspace and the Digital
    inbox share. A number that already has a row (its opt-out state, R17) gets the card on that row;
    only the card's fields are written, so a STOP that lands meanwhile keeps its opt-out. Changed notes
    record who changed them and when."""
    from django.utils import timezone

    instance.number = rules.contact_normalize_number(instance.number or "") if instance.number else ""
    instance.tags = ", ".join(dict.fromkeys(t for t in (p.strip() for p in (instance.tags or "").split(",")) if t))
    instance.name, instance.notes = (instance.name or "").strip(), (instance.notes or "").strip()
    existing = None
    if instance.pk:
        existing = Contact.objects.select_for_update().filter(pk=instance.pk).first()
    elif instance.tenant_id and instance.number:
        existing = Contact.objects.select_for_update().filter(tenant_id=instance.tenant_id, number=instance.number).first()
    if existing is not None and existing.number != instance.number:
        raise ValidationError({"number": "A contact card's number does not change; make a card for the other number."})
    if existing is None or existing.notes != instance.notes:
        instance.notes_by, instance.notes_at = (actor if instance.notes else None), (timezone.now() if instance.notes else None)
    else:
        instance.notes_by_id, instance.notes_at = existing.notes_by_id, existing.notes_at
    if existing is None:
        return _full_clean_and_save(instance)
    existing.name, existing.tags, existing.notes = instance.name, instance.tags, instance.notes
    existing.notes_by_id, existing.notes_at = instance.notes_by_id, instance.notes_at
    existing.full_clean(validate_unique=False)
    existing.save(update_fields=[*CARD_FIELDS, "notes_by", "notes_at"])
    return existing


NOTE_MAX = 2000


@transaction.atomic
def room_note_add(*, room, author, body):
    """An internal note in a room, by its agent or a supervisor or administrator of its tenant: stored
    beside the texts, shown to the tenant's agents and supervisors live, never sent to the contact."""
    body = (body if isinstance(body, str) else "").strip()
    if not body:
        raise ValidationError({"body": "Type a note."})
    if len(body) > NOTE_MAX:
        raise ValidationError({"body": f"A note is at most {NOTE_MAX} characters; this one has {len(body)}."})
    manager = author.role in (Role.ADMIN, Role.SUPERVISOR)
    if author.tenant_id != room.tenant_id or not (manager or room.agent_id == author.pk):
        raise PermissionDenied("Only the conversation's agent or a supervisor can add a note to it.")
    note = RoomNote.objects.create(room=room, tenant_id=room.tenant_id, author=author, body=body)
    events.room_note(room, note)
    return note

"""Configuration rules that need more than one row (R1, R2, R5).

Each is a named function raising ValidationError keyed by the field it is about. Model.clean()
calls them, so the console forms, the Django admin and the REST serializers (which run
full_clean) refuse the same things with the same messages.
"""
import unicodedata
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError

from .choices import OPEN_ROOM_STATES, Channel, CodeType, Direction, Role, SmsDelivery

SHORT_CODE_DIGITS = (3, 8)
SESSION_LIMIT_MIN, SESSION_LIMIT_MAX = 1, 12


def effective_session_limit(override, team_limit):
    """R3: the user's override if set, else the team's limit; no team and no override: 1."""
    if override is not None:
        return override
    if team_limit is not None:
        return team_limit
    return SESSION_LIMIT_MIN


def effective_session_limit_sql(override, team_limit):
    """effective_session_limit in SQL, over two column expressions (tests/routing/test_twins.py
    compares the two on random data)."""
    return f"COALESCE({override}, {team_limit}, {SESSION_LIMIT_MIN})"


def tenant_validate_features(tenant):
    """R1/R2: Digital delivery needs both SMS Messaging and Digital Experience."""
    if tenant.sms_delivery == SmsDelivery.DIGITAL:
        if not tenant.sms_messaging_enabled or not tenant.digital_experience_enabled:
            raise ValidationError({"sms_delivery": "Delivery to the Digital Experience inbox needs both SMS Messaging and "
                                                   "Digital Experience enabled on the tenant."})


def tenant_validate_delivery_change(tenant):
    """R2: the delivery mode cannot change while interactions are active."""
    if not tenant.pk:
        return
    # The model's own managers: rules.py is imported by the models, so it does not import them.
    old = type(tenant)._default_manager.filter(pk=tenant.pk).values_list("sms_delivery", flat=True).first()
    if old is None or old == tenant.sms_delivery:
        return
    active = tenant.rooms.filter(state__in=OPEN_ROOM_STATES).count()
    if active:
        open_now = "1 conversation is open" if active == 1 else f"{active} conversations are open"
        raise ValidationError({"sms_delivery": f"The delivery mode cannot change while {open_now}: "
                                               "end them first (forced disconnect ends all SMS conversations)."})


def tenant_validate_digital_numbers(tenant):
    """R5: a tenant switching to Digital delivery may keep only numbers Digital mode allows (US long codes)."""
    if not tenant.pk or tenant.sms_delivery != SmsDelivery.DIGITAL:
        return
    others = (tenant.points_of_contact.filter(channel="sms")
              .exclude(code_type=CodeType.LONG, country__digital=True).values_list("number", flat=True))
    if others:
        raise ValidationError({"sms_delivery": "In Digital Experience mode SMS Messaging supports United States long codes only: "
                                               f"remove or change {', '.join(others[:5])} first."})


def tenant_validate_time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones ("US") is not one
        raise ValidationError(f"“{value}” is not a time zone name such as America/New_York.")


def tenant_require_sms(tenant, field, what):
    """R1: SMS configuration needs SMS Messaging enabled on the tenant."""
    if tenant is not None and not tenant.sms_messaging_enabled:
        raise ValidationError({field: f"SMS Messaging is not enabled on this tenant: {what} cannot be configured."})


def same_tenant(obj, field, tenant_id):
    """A reference to another tenant's object is refused as if it did not exist."""
    related = getattr(obj, field, None)
    if related is not None and getattr(related, "tenant_id", tenant_id) != tenant_id:
        raise ValidationError({field: "Select a valid choice. That choice is not one of the available choices."})


def inbound_skill_check(skill, channel, field="skill"):
    """What a point of contact's default skill or one of its routing rules may route to: an inbound
    skill of the point of contact's channel (an outbound skill only starts texts; a chat skill's
    agents never see an SMS number's texts). The console's select offers only these
    (inbound_skills_of); the forms, the admin and the API refuse the rest with these words."""
    if skill is None:
        return
    if skill.direction != Direction.INBOUND:
        raise ValidationError({field: f"“{skill.name}” is an outbound skill: it only starts texts. "
                                      "Choose an inbound skill to receive conversations."})
    if skill.channel != channel:
        wanted = "an SMS skill" if channel == Channel.SMS else "a chat skill"
        where = "An SMS number" if channel == Channel.SMS else "A web chat"
        kind = "a chat" if skill.channel == Channel.CHAT else "an SMS"
        raise ValidationError({field: f"{where} routes to {wanted}: “{skill.name}” is {kind} skill."})


def inbound_skills_of(skills, channel=None):
    """inbound_skill_check as a filter on a queryset of skills (channel None: both channels)."""
    skills = skills.filter(direction=Direction.INBOUND)
    return skills if channel is None else skills.filter(channel=channel)


def ascii_digits(text):
    """Decimal digits of any script (Arabic-Indic ١٢٣, fullwidth １２３) as ASCII 0-9; anything else as it is
    ("²" is a digit to str.isdigit() but no decimal digit, so it stays and is refused)."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def poc_normalize_number(number, country_code, code_type):
    """Parse a number with phonenumbers; return E.164 (short codes: their digits), always in ASCII digits."""
    raw = ascii_digits((number or "").strip())
    if not raw:
        raise ValidationError({"number": "An SMS point of contact needs a number."})
    if code_type == CodeType.SHORT:
        digits = raw.replace(" ", "").replace("-", "")
        lo, hi = SHORT_CODE_DIGITS
        if not (digits.isascii() and digits.isdigit()) or not lo <= len(digits) <= hi:
            raise ValidationError({"number": f"A short code is {lo} to {hi} digits, for example 72345."})
        return digits
    try:
        parsed = phonenumbers.parse(raw, country_code or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError({"number": f"“{raw}” is not a phone number: {exc._msg if hasattr(exc, '_msg') else exc}."})
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError({"number": f"“{raw}” is not a valid phone number."})
    region = phonenumbers.region_code_for_number(parsed)
    kind = phonenumbers.number_type(parsed)
    # Toll-free numbers of the North American plan are shared by the US and Canada: the library files them under US.
    shared_toll_free = (kind == phonenumbers.PhoneNumberType.TOLL_FREE
                        and parsed.country_code == phonenumbers.country_code_for_region(country_code or ""))
    if country_code and region != country_code and not shared_toll_free:
        raise ValidationError({"number": f"{phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)} "
                                         f"is a number of {region}, not of {country_code}."})
    if code_type == CodeType.TOLL_FREE and kind != phonenumbers.PhoneNumberType.TOLL_FREE:
        raise ValidationError({"number": "This number is not a toll-free number: choose the code type “Long code”."})
    if code_type == CodeType.LONG and kind in (phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE):
        raise ValidationError({"number": "This number is a toll-free or premium number, not a long code."})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def poc_validate_country_code_type(tenant, country, code_type):
    """R5: the country allows the code type; Digital mode allows US long codes only."""
    if country is None:
        raise ValidationError({"country": "Choose the country of the number."})
    if not country.allows(code_type):
        allowed = ", ".join(str(CodeType(c).label).lower() + "s" for c in country.allowed_code_types()) or "nothing"
        raise ValidationError({"code_type": f"{country.name} allows {allowed} only: "
                                            f"a {CodeType(code_type).label.lower()} is not supported there."})
    if tenant is not None and tenant.sms_delivery == SmsDelivery.DIGITAL:
        if not (country.digital and code_type == CodeType.LONG):
            raise ValidationError({"code_type": "In Digital Experience mode SMS Messaging supports United States long codes only."})


def contact_normalize_number(number, default_region="US"):
    """A contact's number in E.164, or a ValidationError naming the field `contact_number`."""
    raw = (number or "").strip()
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError({"contact_number": f"“{raw}” is not a phone number."})
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError({"contact_number": f"“{raw}” is not a valid phone number."})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def unique_in_tenant(instance, field, message, scope=("tenant",), extra=None, any_case=False):
    """A duplicate refused under the field it is about (the database constraint stays the last word).
    any_case: "Night Shift" and "night shift" are one name (the constraint is on Lower(name))."""
    value = getattr(instance, field)
    if value in (None, ""):
        return
    lookup = f"{field}__iexact" if any_case else field
    qs = type(instance)._default_manager.filter(**{lookup: value}, **{f: getattr(instance, f) for f in scope}, **(extra or {}))
    if instance.pk:
        qs = qs.exclude(pk=instance.pk)
    if qs.exists():
        raise ValidationError({field: message})


LAST_ADMIN = "A tenant keeps at least one active administrator: make another user an administrator first."


def _other_active_admins(user, tenant_id):
    return type(user)._default_manager.filter(tenant_id=tenant_id, role=Role.ADMIN, is_active=True, is_superuser=False).exclude(pk=user.pk)


def user_was_active_admin(user):
    """The stored row's (tenant id, still an active administrator), or None for a new user."""
    old = (type(user)._default_manager.filter(pk=user.pk).values("tenant_id", "role", "is_active", "is_superuser").first()
           if user.pk else None)
    if old is None:
        return None
    return old["tenant_id"], old["role"] == Role.ADMIN and old["is_active"] and not old["is_superuser"] and old["tenant_id"] is not None


def user_validate_keeps_admin(user, deleting=False):
    """A tenant keeps at least one active administrator: demoting, deactivating, moving or deleting
    its last one is refused. The service locks the tenant's row first (services.tenant_lock), so two
    administrators demoting each other at once cannot both pass this count."""
    was = user_was_active_admin(user)
    if was is None or not was[1]:
        return
    tenant_id = was[0]
    if not deleting and user.tenant_id == tenant_id and user.role == Role.ADMIN and user.is_active and not user.is_superuser:
        return
    if _other_active_admins(user, tenant_id).exists():
        return
    if deleting:
        raise ValidationError(LAST_ADMIN)
    if user.tenant_id != tenant_id:
        field = "tenant"
    elif user.role != Role.ADMIN:
        field = "role"
    else:
        field = "is_active"
    raise ValidationError({field: LAST_ADMIN})

"""HTTP entry points of the text hub: Twilio webhooks, the phone simulator, web chat for contacts."""
import json
import logging
import re
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.test import RequestFactory
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator

from .. import ratelimits, selectors
from ..choices import Channel, Direction
from ..models import CarrierAccount, Message, PointOfContact, Room, Tenant
from ..ops import metrics
from . import inbound, outbox, webchat

log = logging.getLogger("cxsms.webhooks")
CHAT_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signature_ok(request, account):
    """Twilio signs the public URL it called plus the POST params (behind a TLS proxy: see CXSMS_BEHIND_PROXY)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or account is None or not account.auth_token:
        return False
    params = {k: request.POST.get(k) for k in request.POST}
    return RequestValidator(account.auth_token).validate(request.build_absolute_uri(), params, signature)


def _forbidden(reason):
    log.warning("webhook refused: %s", reason)
    return HttpResponseForbidden(reason, content_type="text/plain")


def _bad_request(errors):
    return JsonResponse({"errors": errors}, status=400)


def _nul_refused(request):
    """A NUL in any field: PostgreSQL refuses it even as a lookup value, so it must not get that far."""
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists()):
        return _bad_request({"__all__": ["The request contains a NUL character."]})
    return None


def _is_id(value):
    """ASCII digits only: str.isdigit() also accepts "²" and "١", which int() then refuses or reads."""
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19


@csrf_exempt
@require_POST
def twilio_sms(request):
    """Inbound SMS: verify, store once, route; 200 with empty TwiML only after the text is stored."""
    if refused := _nul_refused(request):
        return refused
    poc = inbound.poc_for_number(request.POST.get("To", ""))
    if poc is None:
        metrics.record_inbound_text(None, "unknown_number")
        return _forbidden("unknown To number")
    account = poc.carrier_account
    if not _signature_ok(request, account):
        metrics.record_inbound_text(None, "refused")
        return _forbidden("bad or missing X-Twilio-Signature")
    if request.POST.get("AccountSid") and request.POST["AccountSid"] != account.account_sid:
        return _forbidden("AccountSid does not own this number")
    num_media = request.POST.get("NumMedia") or "0"
    if not _is_id(num_media):
        return _bad_request({"NumMedia": ["NumMedia must be a whole number."]})
    try:
        inbound.inbound_sms(poc=poc, message_sid=request.POST.get("MessageSid", ""), from_number=request.POST.get("From", ""),
                            body=request.POST.get("Body", ""), num_media=int(num_media))
    except ValidationError as exc:
        return _bad_request(exc.message_dict)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_status(request):
    """Status callbacks: signed like inbound texts, by the account that sent the message."""
    if refused := _nul_refused(request):
        return refused
    sid = request.POST.get("MessageSid", "")
    # The message's own point of contact: a text sent without a room (a campaign's) has one too.
    message = Message.objects.select_related("point_of_contact__carrier_account", "room__point_of_contact__carrier_account").filter(
        carrier_sid=sid, direction=Direction.OUTBOUND).first()
    poc = (message.point_of_contact or (message.room.point_of_contact if message.room_id else None)) if message else None
    account = poc.carrier_account if poc else None
    if account is None:
        # Unknown SID: verify against the account named in the request before answering anything.
        account = CarrierAccount.objects.filter(account_sid=request.POST.get("AccountSid", "")).first()
        if not _signature_ok(request, account):
            return _forbidden("bad or missing X-Twilio-Signature")
        return HttpResponse(status=204)
    if not _signature_ok(request, account):
        return _forbidden("bad or missing X-Twilio-Signature")
    status = request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or ""
    outbox.status_update(message_sid=sid, status=status, error_code=request.POST.get("ErrorCode", ""))
    return HttpResponse(status=204)


# --- the phone simulator -------------------------------------------------------------------

def _simulator_tenant(request):
    if not settings.CXSMS_SIMULATOR_ENABLED:
        raise Http404("The phone simulator is turned off (CXSMS_SIMULATOR_ENABLED).")
    user = request.user
    if user.is_superuser:
        tenant_id = request.GET.get("tenant") or request.POST.get("tenant")
        if tenant_id and not _is_id(tenant_id):
            raise BadRequest("Choose a tenant from the list.")
        return get_object_or_404(Tenant, pk=tenant_id) if tenant_id else Tenant.objects.order_by("name").first()
    return user.tenant


@login_required
@require_GET
def simulator(request):
    """Text a tenant's numbers as a contact; replies sent through the simulator carrier arrive live."""
    try:
        tenant = _simulator_tenant(request)
    except BadRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    pocs = list(selectors.points_of_contact_for(request.user).filter(channel=Channel.SMS, tenant=tenant)) if tenant else []
    recent = []
    if tenant:
        # Texts of the tenant's numbers, with or without a room (a campaign's), each filed under its thread.
        recent = list(Message.objects.filter(tenant=tenant, point_of_contact__channel=Channel.SMS).select_related("point_of_contact")
                      .order_by("-created_at", "-id")[:100])
        recent.reverse()
    return render(request, "hub/simulator.html", {
        "tenant": tenant, "pocs": pocs, "recent": recent,
        "tenants": Tenant.objects.order_by("name") if request.user.is_superuser else [],
    })


@login_required
@require_POST
def simulator_send(request):
    """Builds a Twilio-format, signed request and hands it to the inbound webhook view: the same path a carrier takes."""
    try:
        tenant = _simulator_tenant(request)
    except BadRequest as exc:
        return _bad_request({"tenant": [str(exc)]})
    poc_id = request.POST.get("point_of_contact", "")
    if not _is_id(poc_id):
        return _bad_request({"point_of_contact": ["Choose one of the tenant's numbers to text."]})
    poc = get_object_or_404(PointOfContact, pk=poc_id, tenant=tenant, channel=Channel.SMS)
    account = poc.carrier_account
    sid = "SMsim" + secrets.token_hex(15)
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": account.account_sid, "From": request.POST.get("from", "").strip(),
              "To": poc.number, "Body": request.POST.get("body", ""), "NumMedia": "0", "NumSegments": "1"}
    url = request.build_absolute_uri("/hooks/twilio/sms/")
    signature = RequestValidator(account.auth_token).compute_signature(url, params)
    inner = RequestFactory().post("/hooks/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST=request.get_host(),
                                  secure=request.is_secure())
    response = twilio_sms(inner)
    if response.status_code == 200:
        return JsonResponse({"sid": sid, "from": params["From"], "to": poc.number, "body": params["Body"]}, status=201)
    try:
        errors = json.loads(response.content).get("errors")
    except ValueError:
        errors = {"__all__": [response.content.decode()]}
    return JsonResponse({"errors": errors}, status=response.status_code)


# --- web chat for contacts (R14) -------------------------------------------------------------

def _contact_call(request, action):
    """Run `action(data)` on a contact's JSON (or form) body. Returns (result, None) or (None, error response)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        except RecursionError:
            return None, JsonResponse({"errors": {"__all__": ["The JSON body is nested too deeply."]}}, status=400)
    else:
        data = request.POST
    if not isinstance(data, dict) and not hasattr(data, "getlist"):
        return None, JsonResponse({"errors": {"__all__": ["Send a JSON object or a form."]}}, status=400)
    try:
        return action(data), None
    except ValidationError as exc:
        return None, JsonResponse({"errors": exc.message_dict}, status=400)
    except PermissionDenied:
        return None, JsonResponse({"errors": {"__all__": ["Unknown chat."]}}, status=404)


@csrf_exempt  # contacts have no session; the chat token is their credential
@ratelimits.per_address("chat-start", "CXSMS_CHAT_START_RATE")
def chat_entry(request, slug):
    poc = webchat.chat_poc(slug)
    if poc is None:
        return render(request, "hub/chat_missing.html", status=404)
    if request.method == "GET":
        return render(request, "hub/chat.html", {"poc": poc})
    if request.method != "POST":
        return HttpResponse(status=405)
    room, error = _contact_call(request, lambda data: webchat.chat_start(poc=poc, name=data.get("name", ""), body=data.get("body", "")))
    if error:
        return error
    return JsonResponse({"token": room.chat_token, "room": room.id}, status=201)


@csrf_exempt
@ratelimits.per_address("chat-message", "CXSMS_CHAT_MESSAGE_RATE")
def chat_messages(request, slug, token):
    if not CHAT_TOKEN.fullmatch(token):  # what secrets.token_urlsafe makes; anything else (a NUL...) is no chat
        return JsonResponse({"errors": {"__all__": ["Unknown chat."]}}, status=404)
    room = Room.objects.filter(chat_token=token, point_of_contact__slug=slug, channel=Channel.CHAT).first()
    if room is None:
        return JsonResponse({"errors": {"__all__": ["Unknown chat."]}}, status=404)
    if request.method == "GET":
        msgs = [selectors.message_payload(m) for m in selectors.messages_for_room(room)]
        return JsonResponse({"state": room.state, "messages": msgs})
    if request.method != "POST":
        return HttpResponse(status=405)
    message, error = _contact_call(request, lambda data: webchat.chat_contact_message(token=token, body=data.get("body", "")))
    if error:
        return error
    return JsonResponse(selectors.message_payload(message), status=201)

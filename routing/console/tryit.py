"""The routing script's "try it" box (R12): an administrator types a first message and a moment and
sees which rule, skill and priority the point of contact's script gives, and whether the
after-hours reply would be sent. It only reads: nothing is stored, nothing is sent.

URL (routing/console/urls.py): points-of-contact/<int:pk>/try/  name "routing-try".
"""
import zoneinfo

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from .. import selectors, sms
from ..acd import scripts
from ..choices import Channel
from .base import ConsoleView

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
FIRST_YEAR, LAST_YEAR = 1900, 9998
KEYWORD_EFFECT = {
    "opt_out": "This is an opt-out keyword: the contact is opted out, the opt-out confirmation is sent and the text is not routed.",
    "opt_in": "This is an opt-in keyword: the contact is opted back in, the confirmation is sent and the text is not routed.",
    "help": "This is a help keyword: the tenant's help reply is sent and the text is not routed.",
}


class TryForm(forms.Form):
    body = forms.CharField(label="First message", max_length=sms.MAX_BODY, strip=False,
                           widget=forms.Textarea(attrs={"rows": 3, "class": "input", "placeholder": "Hi! #ADVENTUREME"}),
                           help_text="The contact's first text (or chat message) of a new conversation.")
    at = forms.DateTimeField(label="Date and time", input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "input"}, format=LOCAL_FORMAT))

    def __init__(self, *args, tz, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["at"].help_text = f"In the tenant's time zone, {tz.key}."

    def clean_at(self):
        value = self.cleaned_data["at"]
        # The field reads the moment in the current (UTC) time zone; the administrator meant the tenant's.
        naive = timezone.make_naive(value, timezone.get_current_timezone()) if timezone.is_aware(value) else value
        # Rules compare the moment in their own time zones: a date at the calendar's edge would not convert.
        if not FIRST_YEAR <= naive.year <= LAST_YEAR:
            raise forms.ValidationError(f"Choose a date between the years {FIRST_YEAR} and {LAST_YEAR}.")
        return naive.replace(tzinfo=self.tz)


def _tenant_zone(tenant):
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class TryScriptView(ConsoleView):
    """GET: the form (now, in the tenant's time zone); with `body` in the query: the form and the outcome."""

    section = "pocs"
    template_name = "console/routing_try.html"

    def get(self, request, pk):
        poc = get_object_or_404(selectors.points_of_contact_for(request.user).select_related("tenant", "skill"), pk=pk)
        tz = _tenant_zone(poc.tenant)
        now_local = timezone.now().astimezone(tz)
        result = None
        if "body" in request.GET:
            form = TryForm(request.GET, tz=tz)
            if form.is_valid():
                result = self.run(poc, form.cleaned_data["body"], form.cleaned_data["at"])
        else:
            form = TryForm(initial={"at": now_local.replace(second=0, microsecond=0, tzinfo=None)}, tz=tz)
        return self.render(self.template_name, {
            "poc": poc, "form": form, "result": result, "tz": tz.key,
            "poc_url": reverse("console:poc_edit", args=[poc.pk]), "rules_url": reverse("console:rule_list", args=[poc.pk]),
        })

    def run(self, poc, body, at):
        trace, outcome = scripts.explain(poc, body, at)
        skill = next((r.skill for r, _hit in trace if r.pk == outcome.rule_id), None) if outcome.rule_id else poc.skill
        keyword = sms.keyword(body) if poc.channel == Channel.SMS else None
        reply_sent = bool(poc.channel == Channel.SMS and not keyword and outcome.after_hours and poc.after_hours_reply)
        if poc.channel != Channel.SMS:
            reply_note = "Chat points of contact send no after-hours reply."
        elif keyword:
            reply_note = "Not sent: the message is a keyword (see above)."
        elif not outcome.after_hours:
            reply_note = "Not sent: this moment is inside business hours." if any(r.kind == "hours" for r, _ in trace) else \
                "Not sent: the script has no business-hours rules, so it is never after hours."
        elif not poc.after_hours_reply:
            reply_note = "After hours, but this point of contact has no after-hours reply configured."
        else:
            reply_note = "Sent: this moment is outside every business-hours rule."
        matched = next((i for i, (r, _hit) in enumerate(trace) if r.pk == outcome.rule_id), None)
        rows = [{"rule": r, "label": scripts.rule_label(r), "hit": hit, "chosen": i == matched,
                 "after_chosen": matched is not None and i > matched}
                for i, (r, hit) in enumerate(trace)]
        return {"outcome": outcome, "skill": skill, "rows": rows, "keyword": KEYWORD_EFFECT.get(keyword),
                "reply_sent": reply_sent, "reply_note": reply_note, "at": at, "at_utc": at.astimezone(zoneinfo.ZoneInfo("UTC")),
                "default": outcome.rule_id is None}


try_script = TryScriptView.as_view()

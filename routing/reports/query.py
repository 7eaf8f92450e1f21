"""What a report is asked for: one form for the pages, the CSV export and the REST API, so all three
accept and refuse the same things with the same words."""
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import mark_safe

from .. import selectors as routing_selectors
from ..choices import Channel
from ..models import PointOfContact, Skill, Team, User
from . import periods
from .html import escape

GROUPS = ("skill", "agent", "team", "point_of_contact", "channel")
MAX_DAYS = 366
MAX_DAYS_15M = 31  # 15-minute intervals: at most a month (2,976 intervals)
PRESETS = {"today": "Today", "yesterday": "Yesterday", "last_7_days": "Last 7 days", "this_month": "This month", "custom": "Custom"}


def preset_range(preset, today):
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset == "last_7_days":
        return today - timedelta(days=6), today
    if preset == "this_month":
        return today.replace(day=1), today
    return today, today


def tenant_today(tenant):
    return timezone.now().astimezone(periods.tz_of(tenant)).date()


@dataclass(frozen=True)
class ReportQuery:
    tenant: object
    start: date
    end: date
    interval: str = "hour"
    group_by: str = ""
    skill: object = None
    agent: object = None
    team: object = None
    point_of_contact: object = None
    channel: str = ""

    @property
    def tz(self):
        return periods.tz_of(self.tenant)


class ListSelect(forms.Select):
    """A <select> written in Python: Django renders every option through a template, and a tenant's
    500 agents in the Agent filter took about a second of each report page (docs/benchmarks.md)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        options = "".join(f'<option value="{escape(v)}"{" selected" if v in chosen else ""}>{escape(label)}</option>'
                          for v, label in ((("" if o is None else str(o)), label) for o, label in self.choices))
        return mark_safe(f'<select name="{escape(name)}"{flatatt(attrs)}>{options}</select>')  # noqa: S308 (every value escaped)


class ReportQueryForm(forms.Form):
    preset = forms.ChoiceField(label="Period", choices=list(PRESETS.items()), required=False, widget=ListSelect)
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    interval = forms.ChoiceField(label="Interval", choices=[("15m", "15 minutes"), ("hour", "Hour"), ("day", "Day"), ("week", "Week")],
                                 required=False, widget=ListSelect)
    group_by = forms.ChoiceField(label="Group by", required=False, choices=[("", "Nothing (totals)"), ("skill", "Skill"),
                                                                            ("agent", "Agent"),
                                                                            ("team", "Team"), ("point_of_contact", "Point of contact"),
                                                                            ("channel", "Channel")], widget=ListSelect)
    skill = forms.ModelChoiceField(queryset=Skill.objects.none(), required=False, widget=ListSelect)
    agent = forms.ModelChoiceField(queryset=User.objects.none(), required=False, widget=ListSelect)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, widget=ListSelect)
    point_of_contact = forms.ModelChoiceField(label="Point of contact", queryset=PointOfContact.objects.none(), required=False,
                                              widget=ListSelect)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False, widget=ListSelect)

    def __init__(self, data, *, user, default_interval="hour", **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.default_interval = default_interval
        self.fields["skill"].queryset = routing_selectors.skills_for(user)
        self.fields["agent"].queryset = (routing_selectors.users_for(user).filter(role="agent").select_related(None)
                                         .only("id", "username", "tenant_id"))
        # The options from two columns, not 500 model instances (validation still reads the queryset).
        self.fields["agent"].widget.choices = [("", "Any agent"), *self.fields["agent"].queryset.values_list("pk", "username")]
        self.fields["team"].queryset = routing_selectors.teams_for(user)
        self.fields["point_of_contact"].queryset = routing_selectors.points_of_contact_for(user)
        for name, label in (("skill", "skill"), ("agent", "agent"), ("team", "team"), ("point_of_contact", "point of contact")):
            self.fields[name].empty_label = f"Any {label}"

    def clean(self):
        data = super().clean()
        for name in self.fields:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if len([v for v in values if v is not None]) > 1:
                self.add_error(name, "Give this once.")
        if self.errors:
            return data
        today = tenant_today(self.user.tenant)
        start, end = data.get("start"), data.get("end")
        if start is None and end is None:
            start, end = preset_range(data.get("preset") or "today", today)
        elif start is None or end is None:
            start = start or end
            end = end or start
        if end < start:
            self.add_error("end", "The end date is before the start date.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", f"A report covers at most {MAX_DAYS} days.")
        interval = data.get("interval") or self.default_interval
        if not self.errors and interval == "15m" and (end - start).days + 1 > MAX_DAYS_15M:
            self.add_error("interval", f"15-minute intervals cover at most {MAX_DAYS_15M} days: choose hour, day or week.")
        data.update(start=start, end=end, interval=interval)
        return data

    def query(self):
        d = self.cleaned_data
        return ReportQuery(tenant=self.user.tenant, start=d["start"], end=d["end"], interval=d["interval"],
                           group_by=d.get("group_by") or "",
                           skill=d.get("skill"), agent=d.get("agent"), team=d.get("team"), point_of_contact=d.get("point_of_contact"),
                           channel=d.get("channel") or "")

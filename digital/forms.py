from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from routing import selectors as routing_selectors

from . import selectors
from .models import Filter, Queue


class TenantForm(forms.ModelForm):
    """A form for an object of the user's tenant; refusals from a service are shown on it."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if not self.instance.tenant_id:
            self.instance.tenant = user.tenant
        for field in self.fields.values():
            if not isinstance(field.widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                field.widget.attrs.setdefault("class", "input")

    def apply_service_error(self, exc):
        if hasattr(exc, "error_dict"):
            self.add_error(None, exc)
        else:
            self.add_error(None, ValidationError({NON_FIELD_ERRORS: exc.error_list}))


class QueueForm(TenantForm):
    class Meta:
        model = Queue
        fields = ["name", "priority", "is_fallback", "agents"]
        widgets = {"agents": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agents"].queryset = routing_selectors.users_for(self.user).filter(role="agent", is_active=True)
        self.fields["agents"].help_text = "Agents on this queue receive its cases, up to their concurrent-case limit."


class FilterForm(TenantForm):
    class Meta:
        model = Filter
        fields = ["name", "queue", "position", "point_of_contact", "keywords", "pattern", "tags", "hours_start", "hours_end"]
        widgets = {"hours_start": forms.TimeInput(attrs={"type": "time"}), "hours_end": forms.TimeInput(attrs={"type": "time"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = selectors.queues_for(self.user)
        self.fields["point_of_contact"].queryset = routing_selectors.points_of_contact_for(self.user).filter(channel="sms")
        self.fields["point_of_contact"].empty_label = "Any"


class TryForm(forms.Form):
    body = forms.CharField(label="First message", max_length=1600, widget=forms.Textarea(attrs={"rows": 2, "class": "input"}))
    point_of_contact = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any of ours",
                                              widget=forms.Select(attrs={"class": "input"}))
    contact_number = forms.CharField(label="Contact number", required=False, max_length=30,
                                     widget=forms.TextInput(attrs={"class": "input"}),
                                     help_text="Its contact card's tags are checked.")
    at = forms.DateTimeField(label="Moment", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "input"}),
                             help_text="In the company's time zone; empty: now.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point_of_contact"].queryset = routing_selectors.points_of_contact_for(user).filter(channel="sms")

from django import forms

from routing import selectors as routing_selectors
from routing.choices import Channel

from . import selectors
from .choices import ListState
from .models import Campaign

DAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class UploadForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"class": "input"}))
    phone_column = forms.CharField(label="Phone column", max_length=100, initial="phone", widget=forms.TextInput(attrs={"class": "input"}),
                                   help_text="The header of the column that holds the numbers; every other column becomes a merge field.")
    file = forms.FileField(label="CSV file", help_text="UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab; a header row first.")


class AppendForm(forms.Form):
    file = forms.FileField(label="CSV file with the same header row")


class CampaignForm(forms.ModelForm):
    days = forms.TypedMultipleChoiceField(choices=DAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
                                          label="Days of the week", help_text="None ticked: every day.")

    class Meta:
        model = Campaign
        fields = ["name", "point_of_contact", "contact_list", "template", "append_opt_out", "start_at", "window_start", "window_end",
                  "days", "rate"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "input"}),
            "template": forms.Textarea(attrs={"class": "input", "rows": 4, "data-preview-source": ""}),
            "start_at": forms.DateTimeInput(attrs={"class": "input", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "window_start": forms.TimeInput(attrs={"class": "input", "type": "time"}, format="%H:%M"),
            "window_end": forms.TimeInput(attrs={"class": "input", "type": "time"}, format="%H:%M"),
            "rate": forms.NumberInput(attrs={"class": "input", "step": "0.1", "min": "0.1"}),
        }
        help_texts = {"template": ""}  # the page says which merge fields the chosen list has
        labels = {"start_at": "Start at", "window_start": "Window opens", "window_end": "Window closes", "rate": "Rate (texts/s)"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.instance.tenant = user.tenant
        self.fields["point_of_contact"].queryset = routing_selectors.points_of_contact_for(user).filter(channel=Channel.SMS)
        self.fields["contact_list"].queryset = selectors.contact_lists_for(user).filter(state=ListState.READY)
        for name in ("point_of_contact", "contact_list"):
            self.fields[name].widget.attrs["class"] = "input"
        self.fields["contact_list"].widget.attrs["data-preview-source"] = ""
        self.fields["append_opt_out"].widget.attrs["data-preview-source"] = ""
        tenant = user.tenant
        if tenant is not None and tenant.campaign_opt_out_enabled and tenant.campaign_opt_out_line.strip():
            line = tenant.campaign_opt_out_line.strip()
            self.fields["append_opt_out"].help_text = f"Adds “{line}” (the company's line, set in Settings)."
        elif tenant is not None:
            self.fields["append_opt_out"].help_text = "The opt-out line is switched off for every campaign in Settings."

    def apply_service_error(self, exc):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)

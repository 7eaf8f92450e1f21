"""Console: erase a contact (a number, then a confirmation that says what goes)."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from ..console.base import ConsoleView
from .erasure import ContactHasLiveRoom, contact_erase, contact_erase_preview, contact_has_live_room, erasure_number

# kind -> (one, several); kinds other apps register are shown by their name.
KIND_LABELS = {"messages": ("message (its text is blanked; the count stays)", "messages (their text is blanked; the count stays)"),
               "room_notes": ("internal note (deleted)", "internal notes (deleted)"),
               "rooms": ("conversation (the number is replaced)", "conversations (the number is replaced)"),
               "contacts": ("contact record (an opt-out is kept, as a hash)", "contact records (an opt-out is kept, as a hash)")}


class EraseContactForm(forms.Form):
    number = forms.CharField(max_length=40, label="Phone number",
                             help_text="The contact's number, for example +12025550123 or (202) 555-0123.",
                             widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}))

    def clean_number(self):
        try:
            return erasure_number(self.cleaned_data["number"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["number"]) from exc


class EraseContactView(ConsoleView):
    """GET: the form. POST without `confirm`: what would be erased. POST with `confirm`: erase."""

    section = "erase_contact"

    def get(self, request):
        return self.render("console/erase_contact.html", {"form": EraseContactForm()})

    def post(self, request):
        form = EraseContactForm(request.POST)
        if not form.is_valid():
            return self.render("console/erase_contact.html", {"form": form})
        tenant, number = request.user.tenant, form.cleaned_data["number"]
        if contact_has_live_room(tenant, number):
            form.add_error("number", ContactHasLiveRoom.message)
            return self.render("console/erase_contact.html", {"form": form})
        if request.POST.get("confirm") != "yes":
            counts = contact_erase_preview(tenant=tenant, number=number)
            rows = [(KIND_LABELS.get(kind, (kind.replace("_", " "),) * 2)[n != 1], n) for kind, n in counts.items()]
            return self.render("console/erase_contact.html", {"form": form, "number": number, "rows": rows, "confirm": True})
        try:
            erased = contact_erase(tenant=tenant, number=number, actor=request.user)
        except ContactHasLiveRoom as exc:
            form.add_error("number", str(exc))
            return self.render("console/erase_contact.html", {"form": form})
        total = sum(erased.values())
        messages.success(request, f"The contact was erased ({total} record{'s' if total != 1 else ''} changed). "
                                  "The audit log records that you did it, not the number.")
        return redirect("console:erase_contact")

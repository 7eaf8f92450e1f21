"""The console's "Audit log" page: the tenant's configuration changes, newest first, with filters."""
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.urls import path

from routing import selectors as routing_selectors
from routing.console.base import PAGE_SIZE, ConsoleView

from . import selectors
from .filtersets import AuditEntryFilterSet
from .models import SECRET_MASK


def _value(value):
    return "—" if value in (None, "", "None") else value


class _Names:
    """Names of the objects a change refers to by id (a user's team), looked up once per page."""

    def __init__(self):
        self.seen = {}

    def __call__(self, field, value):
        if value in (None, "", "None") or not getattr(field, "remote_field", None) or field.many_to_many:
            return _value(value)
        key = (field.related_model, value)
        if key not in self.seen:
            obj = field.related_model._base_manager.filter(**{field.target_field.attname: value}).first()
            self.seen[key] = str(obj) if obj is not None else f"#{value} (deleted)"
        return self.seen[key]


HIDDEN = {"id", "tenant"}  # every entry already says which object and tenant


def entry_row(entry, names):
    """What the page shows of one entry: the change as field: before → after, in the model's own words."""
    if entry.event:
        what = entry.get_event_display()
        changes = [{"field": name.capitalize(), "before": None, "after": after} for name, (_, after) in (entry.changes or {}).items()]
    else:
        what = {entry.Action.CREATE: "Created", entry.Action.UPDATE: "Changed", entry.Action.DELETE: "Deleted"}.get(entry.action, "")
        model = entry.content_type.model_class()
        changes = []
        for name, pair in (entry.changes or {}).items():
            before, after = pair if isinstance(pair, (list, tuple)) else (None, pair)
            field = _field(model, name)
            if name in HIDDEN or field is None:
                continue
            label = str(field.verbose_name)
            changes.append({"field": label[:1].upper() + label[1:], "before": names(field, before), "after": names(field, after),
                            "secret": SECRET_MASK in (before, after)})
        if entry.action == entry.Action.CREATE:
            changes = [c for c in changes if c["after"] != "—"]
    label, _ = selectors.OBJECT_TYPES.get(selectors.object_type_of(entry), (entry.content_type.name, None))
    return {"entry": entry, "what": what, "object_type": label, "changes": changes}


def _field(model, name):
    try:
        return model._meta.get_field(name) if model else None
    except FieldDoesNotExist:  # a field removed since the entry was written
        return None


class AuditLogView(ConsoleView):
    section = "audit"

    def get(self, request):
        queryset = selectors.audit_entries_for(request.user)
        filterset = AuditEntryFilterSet(request.GET or None, queryset=queryset, request=request)
        filterset.filters["actor"].queryset = routing_selectors.users_for(request.user)
        form = filterset.form
        for name, field in form.fields.items():
            field.widget.attrs["class"] = "input"
            if name in ("start", "end"):
                field.widget.input_type = "date"
            elif isinstance(field, forms.ModelChoiceField):
                field.empty_label = "Any"
            else:
                field.choices = [("", "Any")] + [c for c in field.choices if c[0] != ""]
        invalid = filterset.is_bound and not filterset.is_valid()
        entries = queryset.none() if invalid else (filterset.qs if filterset.is_bound else queryset)
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        params = {k: v for k, v in request.GET.items() if k != "page" and v}
        names = _Names()
        return self.render("console/audit_log.html", {
            "rows": [entry_row(e, names) for e in page.object_list], "page": page, "filter_form": form,
            "filtered": bool(params), "querystring": urlencode(params), "invalid": invalid,
        })


urlpatterns = [path("", AuditLogView.as_view(), name="audit_log")]

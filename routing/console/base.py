"""The console's building blocks, public: any app's administration pages are made of these
(docs/architecture.md). A page is a ConsoleView (tenant administrators only); a kind of object
gets its list, edit and delete pages from an ObjectMixin subclass and the three generic views.
The sidebar is filled by routing.console.nav, so a page in another app needs no edit here.
"""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views import View

from .. import services
from ..choices import Role
from . import nav

PAGE_SIZE = 25


# --- access --------------------------------------------------------------------------------

class ConsoleView(LoginRequiredMixin, View):
    """Tenant administrators only: anonymous users go to the login page, everyone else gets a 403 page."""

    section = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        user = request.user
        if user.is_superuser or user.role != Role.ADMIN or user.tenant_id is None:
            return render(request, "console/forbidden.html", {"section": ""}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def render(self, template, context, status=200):
        context.setdefault("section", self.section)
        context.setdefault("sidebar", nav.sidebar(self.request.user, context["section"]))
        context.setdefault("tenant", self.request.user.tenant)
        return render(self.request, template, context, status=status)


def badge(text, kind=""):
    return format_html('<span class="badge {}">{}</span>', kind, text)


def muted(text):
    return format_html('<span class="muted">{}</span>', text)


def plural(n, noun, nouns=None):
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def _forget_unsaved(instance, creating):
    """After a refused create the in-memory instance must look new again (its rolled-back pk is gone)."""
    if creating:
        instance.pk = None
        instance._state.adding = True


# --- generic list / edit / delete -----------------------------------------------------------

class ObjectMixin:
    """Configuration of one kind of object; the list, edit and delete views share it."""

    selector = None                 # callable(user) -> tenant-scoped queryset
    form_class = None
    filterset_class = None
    filter_fields = ()              # filters shown above the list (besides the search box)
    filter_querysets = {}           # filter name -> selector for its choices (the tenant's own)
    url_prefix = ""                 # console:<prefix>_list / _add / _edit / _delete
    noun = ""                       # "team"
    noun_plural = ""                # "teams"
    columns = ()                    # column headings; row_cells() gives the cells
    empty_text = ""
    help_text = ""

    def get_queryset(self):
        return self.selector(self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def url(self, action, obj=None):
        args = [obj.pk] if obj is not None else []
        return reverse(f"console:{self.url_prefix}_{action}", args=self.url_args() + args)

    def url_args(self):
        return []

    def list_url(self):
        return self.url("list")

    def row_cells(self, obj):
        return [str(obj)]

    def label(self, obj):
        return str(obj)

    def form_kwargs(self):
        return {"user": self.request.user}

    def save(self, form):
        return services.object_save(instance=form.instance)

    def page_context(self):
        return {"noun": self.noun, "noun_plural": self.noun_plural, "list_url": self.list_url(), "add_url": self.url("add")}


class ObjectListView(ObjectMixin, ConsoleView):
    template_name = "console/object_list.html"

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        if not queryset.ordered:  # an annotation drops Meta.ordering; pages need a stable order
            queryset = queryset.order_by(*queryset.model._meta.ordering, "pk")
        filterset = self.filterset_class(request.GET or None, queryset=queryset)
        for name, selector in self.filter_querysets.items():
            filterset.filters[name].queryset = selector(request.user)
        filter_form = filterset.form
        for name in ("q", *self.filter_fields):
            field = filter_form.fields[name]
            field.widget.attrs["class"] = "input"
            if hasattr(field, "empty_label"):
                field.empty_label = "Any"
            elif getattr(field, "choices", None) and list(field.choices)[0][0] == "":
                field.choices = [("", "Any")] + list(field.choices)[1:]
        filter_form.fields["q"].widget.attrs.update(placeholder=f"Search {self.noun_plural}…", type="search")
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [{"obj": obj, "cells": self.row_cells(obj), "edit_url": self.url("edit", obj), "delete_url": self.url("delete", obj)}
                for obj in page.object_list]
        params = {k: v for k, v in request.GET.items() if k != "page" and v}
        context = {
            **self.page_context(),
            "columns": self.columns, "rows": rows, "page": page, "filter_form": filter_form,
            "filter_fields": [filter_form[name] for name in self.filter_fields], "search_field": filter_form["q"],
            "filtered": bool(params), "querystring": urlencode(params), "total": queryset.count(),
            "empty_text": self.empty_text, "help_text": self.help_text,
        }
        context.update(self.extra_list_context())
        return self.render(self.template_name, context)

    def extra_list_context(self):
        return {}


class ObjectEditView(ObjectMixin, ConsoleView):
    """Create (no pk in the URL) or edit one object."""

    template_name = "console/object_form.html"

    def get_instance(self):
        return self.get_object() if "pk" in self.kwargs else self.form_class._meta.model()

    def get(self, request, *args, **kwargs):
        instance = self.get_instance()
        return self.show(self.form_class(instance=instance, **self.form_kwargs()), instance)

    def post(self, request, *args, **kwargs):
        instance = self.get_instance()
        title = self.label(instance) if instance.pk else ""
        creating = instance.pk is None
        form = self.form_class(request.POST, instance=instance, **self.form_kwargs())
        if form.is_valid():
            try:
                obj = self.save(form)
            except ValidationError as exc:
                _forget_unsaved(form.instance, creating)
                form.apply_service_error(exc)
            else:
                verb = "created" if creating else "saved"
                messages.success(request, format_html("{} “{}” {}.", self.noun.capitalize(), self.label(obj), verb))
                return redirect(self.success_url(obj))
        return self.show(form, instance, title=title, status=200)

    def success_url(self, obj):
        return self.list_url()

    def show(self, form, instance, title="", status=200):
        context = {**self.page_context(), "form": form, "object": instance if instance.pk else None,
                   "title": title or (self.label(instance) if instance.pk else f"New {self.noun}"),
                   "delete_url": self.url("delete", instance) if instance.pk else None}
        context.update(self.extra_form_context(form, instance))
        return self.render(self.template_name, context, status=status)

    def extra_form_context(self, form, instance):
        return {}


class ObjectDeleteView(ObjectMixin, ConsoleView):
    """GET: a confirmation page naming what will be deleted; POST: delete through the service."""

    template_name = "console/object_confirm_delete.html"

    def refusal(self, obj):
        return None

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        return self.confirm(obj, error=self.refusal(obj))

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        error = self.refusal(obj)
        if error is None:
            label = self.label(obj)
            try:
                services.object_delete(instance=obj)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, format_html("{} “{}” deleted.", self.noun.capitalize(), label))
                return redirect(self.list_url())
        return self.confirm(obj, error=error)

    def confirm(self, obj, error=None, status=200):
        collector = NestedObjects(using=DEFAULT_DB_ALIAS)
        collector.collect([obj])
        also = []
        for model, objs in collector.model_objs.items():
            objs = [o for o in objs if o != obj]
            if objs:
                name = model._meta.verbose_name if len(objs) == 1 else model._meta.verbose_name_plural
                also.append(f"{len(objs)} {name}")
        for (field, value), batches in collector.field_updates.items():
            n = sum(b.count() if hasattr(b, "count") and not isinstance(b, (list, set, tuple)) else len(b) for b in batches)
            if n and value is None:
                name = field.model._meta.verbose_name if n == 1 else field.model._meta.verbose_name_plural
                also.append(f"{n} {name} will have no {field.verbose_name} (kept otherwise)")
        protected = sorted({f"{o._meta.verbose_name} {o}" for o in collector.protected})[:10]
        context = {**self.page_context(), "object": obj, "object_label": self.label(obj), "also_deleted": also, "protected": protected,
                   "error": error, "cancel_url": self.url("edit", obj)}
        return self.render(self.template_name, context, status=status)

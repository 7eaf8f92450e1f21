"""Console pages: contact lists (upload, errors, rows, download) and campaigns (form with preview, live progress)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html

from routing.console.base import ConsoleView, plural

from . import exports, rules, selectors, services
from .choices import CampaignState, ListState
from .forms import AppendForm, CampaignForm, UploadForm

PAGE = 50


def _wants_json(request):
    """The upload page's script sends the file itself (to show its progress) and asks for JSON; without script, pages."""
    return "application/json" in request.headers.get("Accept", "")


def _form_errors_json(form):
    return JsonResponse({"errors": [e for errors in form.errors.values() for e in errors]}, status=400)


def _imported_json(contact_list, status=201):
    return JsonResponse({"id": contact_list.pk, "url": reverse("campaigns:list_detail", args=[contact_list.pk]),
                         "progress_url": reverse("campaigns:list_progress", args=[contact_list.pk]),
                         **selectors.import_progress(contact_list)}, status=status)


class ContactListsPage(ConsoleView):
    section = "contact_lists"

    def get(self, request, form=None, status=200):
        lists = selectors.contact_lists_for(request.user)
        return self.render("campaigns/lists.html", {"lists": lists, "form": form or UploadForm()}, status=status)

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                contact_list = services.contact_list_import(tenant=request.user.tenant, name=form.cleaned_data["name"],
                                                            file=form.cleaned_data["file"].file,
                                                            phone_column=form.cleaned_data["phone_column"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if _wants_json(request):
                    return _imported_json(contact_list)
                _imported_message(request, contact_list)
                return redirect("campaigns:list_detail", contact_list.pk)
        if _wants_json(request):
            return _form_errors_json(form)
        return self.get(request, form, status=400)


def _imported_message(request, contact_list, before=None):
    if contact_list.state == ListState.IMPORTING:
        messages.info(request, format_html("“{}” is importing: its counts grow below until it is done.", contact_list.name))
    elif before is not None:
        messages.success(request, f"{plural(contact_list.accepted - before, 'number')} added.")
    else:
        messages.success(request, format_html("“{}” imported: {} accepted, {}, {}.", contact_list.name, contact_list.accepted,
                                              plural(contact_list.duplicates, "duplicate"),
                                              plural(contact_list.rejected, "row") + " refused"))


class ContactListProgressJson(ConsoleView):
    """Polled by the upload's progress panel while a list imports: rows read, accepted, refused so far; the refused
    rows with their line once it is done."""

    def get(self, request, pk):
        return JsonResponse(selectors.import_progress(get_object_or_404(selectors.contact_lists_for(request.user), pk=pk)))


class ContactListPage(ConsoleView):
    section = "contact_lists"

    def get(self, request, pk, form=None, status=200):
        contact_list = get_object_or_404(selectors.contact_lists_for(request.user), pk=pk)
        entries = selectors.entries_of(contact_list)
        q = request.GET.get("q", "").strip()
        if q:
            entries = entries.filter(number__icontains=q)
        page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
        rows = [(e, [(c, e.fields.get(c, "")) for c in contact_list.columns]) for e in page]
        return self.render("campaigns/list_detail.html", {"list": contact_list, "page": page, "q": q, "form": form or AppendForm(),
                                                          "rows": rows}, status)

    def post(self, request, pk):
        contact_list = get_object_or_404(selectors.contact_lists_for(request.user), pk=pk)
        form = AppendForm(request.POST, request.FILES)
        if form.is_valid():
            before = contact_list.accepted
            try:
                contact_list = services.contact_list_append(contact_list=contact_list, file=form.cleaned_data["file"].file)
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                if _wants_json(request):
                    return _imported_json(contact_list, status=200)
                _imported_message(request, contact_list, before)
                return redirect("campaigns:list_detail", pk)
        if _wants_json(request):
            return _form_errors_json(form)
        return self.get(request, pk, form, status=400)


class ContactListDownload(ConsoleView):
    def get(self, request, pk):
        return exports.contact_list_response(get_object_or_404(selectors.contact_lists_for(request.user), pk=pk))


class CampaignsPage(ConsoleView):
    section = "campaigns"

    def get(self, request):
        campaigns = list(selectors.campaigns_for(request.user))
        done = selectors.progress_many(campaigns)
        rows = []
        for c in campaigns:
            d, t = done.get(c.pk, (0, 0))
            rows.append({"c": c, "done": d, "total": t, "percent": round(100 * d / t) if t else 0})
        return self.render("campaigns/campaigns.html", {"rows": rows})


class CampaignEditPage(ConsoleView):
    section = "campaigns"

    def _instance(self, pk):
        if pk is None:
            return None
        return get_object_or_404(selectors.campaigns_for(self.request.user), pk=pk)

    def get(self, request, pk=None):
        return self.show(CampaignForm(instance=self._instance(pk), user=request.user))

    def post(self, request, pk=None):
        instance = self._instance(pk)
        form = CampaignForm(request.POST, instance=instance, user=request.user)
        if form.is_valid():
            try:
                campaign = services.campaign_save(campaign=form.instance)
            except ValidationError as exc:
                if pk is None:
                    form.instance.pk = None
                form.apply_service_error(exc)
            else:
                messages.success(request, format_html("Campaign “{}” saved.", campaign.name))
                return redirect("campaigns:campaign_detail", campaign.pk)
        return self.show(form, status=400)

    def show(self, form, status=200):
        preview = []
        if form.instance.pk and form.instance.contact_list_id:
            try:
                rules.template_check(form.instance.template, form.instance.contact_list.columns)
                preview = selectors.preview(form.instance.template, form.instance.contact_list, form.instance.append_opt_out)
            except ValidationError:
                preview = []
        lists = {str(cl.pk): cl.columns for cl in selectors.contact_lists_for(self.request.user)}
        return self.render("campaigns/campaign_form.html", {"form": form, "campaign": form.instance if form.instance.pk else None,
                                                            "preview": preview, "list_columns": lists}, status)


class PreviewJson(ConsoleView):
    """The form's live preview: the first recipients' texts, or the template's error."""

    def post(self, request):
        contact_list = selectors.contact_lists_for(request.user).filter(pk=request.POST.get("contact_list") or None).first() \
            if (request.POST.get("contact_list") or "").isdigit() else None
        if contact_list is None:
            return JsonResponse({"error": "Choose a contact list to see a preview.", "texts": []})
        template = request.POST.get("template", "")
        try:
            rules.template_check(template, contact_list.columns)
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages), "texts": []})
        texts = selectors.preview(template, contact_list, request.POST.get("append_opt_out") in ("on", "true", "1"))
        return JsonResponse({"error": "", "texts": texts, "columns": contact_list.columns})


RECIPIENT_FILTERS = [("", "Any state")] + [(s, s.replace("_", " ").capitalize()) for s in selectors.RECIPIENT_STATES]


class CampaignPage(ConsoleView):
    section = "campaigns"

    def get(self, request, pk):
        campaign = get_object_or_404(selectors.campaigns_for(request.user).select_related("tenant"), pk=pk)
        recipients = selectors.recipients_of(campaign)
        q, state = request.GET.get("q", "").strip(), request.GET.get("state", "")
        if q:
            recipients = recipients.filter(number__icontains=q)
        if state in selectors.RECIPIENT_STATES:
            recipients = recipients.filter(status=state)
        page = Paginator(recipients, PAGE).get_page(request.GET.get("page"))
        return self.render("campaigns/campaign_detail.html", {
            "campaign": campaign, "progress": selectors.progress(campaign), "page": page, "q": q, "state": state,
            "state_choices": RECIPIENT_FILTERS, "actions": _actions(campaign),
            "opt_out": rules.opt_out_line(campaign.tenant, campaign.append_opt_out)})


def _actions(campaign):
    return {CampaignState.DRAFT: ["start"], CampaignState.SCHEDULED: ["pause", "cancel"], CampaignState.RUNNING: ["pause", "cancel"],
            CampaignState.PAUSED: ["resume", "cancel"]}.get(campaign.state, [])


class ProgressJson(ConsoleView):
    """Polled by the campaign page every two seconds (docs/campaigns.md says why polling)."""

    def get(self, request, pk):
        campaign = get_object_or_404(selectors.campaigns_for(request.user).select_related("tenant"), pk=pk)
        return JsonResponse(selectors.progress(campaign))


ACTIONS = {"start": (services.campaign_start, "Start", "started"), "pause": (services.campaign_pause, "Pause", "paused"),
           "resume": (services.campaign_resume, "Resume", "resumed"), "cancel": (services.campaign_cancel, "Cancel", "cancelled")}


class CampaignAction(ConsoleView):
    """GET: a confirmation that says how many texts are still to go; POST: do it."""

    section = "campaigns"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["action"] not in ACTIONS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk, action, error=None, status=200):
        campaign = get_object_or_404(selectors.campaigns_for(request.user).select_related("tenant"), pk=pk)
        progress = selectors.progress(campaign)
        to_go = progress["to_go"] if campaign.state != CampaignState.DRAFT else campaign.contact_list.accepted
        return self.render("campaigns/confirm.html", {"campaign": campaign, "action": action, "verb": ACTIONS[action][1], "to_go": to_go,
                                                      "error": error, "progress": progress}, status)

    def post(self, request, pk, action):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        service, _, done = ACTIONS[action]
        try:
            service(campaign=campaign)
        except ValidationError as exc:
            return self.get(request, pk, action, error=" ".join(exc.messages), status=409)
        messages.success(request, format_html("Campaign “{}” {}.", campaign.name, done))
        return redirect(reverse("campaigns:campaign_detail", args=[pk]))


class ResultsCsv(ConsoleView):
    def get(self, request, pk):
        return exports.results_response(get_object_or_404(selectors.campaigns_for(request.user), pk=pk))



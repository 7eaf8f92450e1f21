"""The report pages under /console/reports/ (administrators and supervisors of a tenant), their CSV
export, and the live "today" numbers the supervisor page polls."""
from dataclasses import replace
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views import View

from ..choices import Role
from . import charts, csv_export, registry, rollup, selectors
from .query import PRESETS, ReportQueryForm
from .html import escape

ROWS_SHOWN = 500  # a page shows at most this many rows of a table; its CSV has them all
TIMELINE_AGENTS = 50  # the state chart draws this many agents (a 500-agent chart would be 11,000 px tall); filters narrow it
REPORT_ROLES = (Role.ADMIN, Role.SUPERVISOR)


class ReportsAccess(LoginRequiredMixin, View):
    """Administrators and supervisors of a tenant; anyone else signed in gets a 403 page that says who may."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        user = request.user
        if user.is_superuser or user.tenant_id is None or user.role not in REPORT_ROLES:
            return render(request, "workspace/forbidden.html", {"who": "administrators and supervisors"}, status=403)
        return super().dispatch(request, *args, **kwargs)

    def form(self, request):
        return ReportQueryForm(request.GET, user=request.user)


def _querystring(request, **changes):
    params = {k: v for k, v in request.GET.items() if v not in ("", None)}
    params.update({k: v for k, v in changes.items() if v is not None})
    return urlencode(params)


def show(value, kind):
    """A figure as a person reads it: 95 s → 1m 35s, 0.8333 → 83%, 32160 s in a state → 8h 56m."""
    if value is None:
        return "—"
    if kind == "ratio":
        return f"{value:.0%}"
    if kind in ("seconds", "duration"):
        value = round(value)
        h, rest = divmod(value, 3600)
        m, sec = divmod(rest, 60)
        if h:
            return f"{h}h {m:02d}m"
        return f"{m}m {sec:02d}s" if m else f"{sec}s"
    if kind == "period":
        return value.replace("T", " ")[:16] if "T" in value else value
    return str(value)


def _table(section, user, query, request, rows=None):
    """A section's table. Its body is built here as one escaped HTML string: 500 rows × 20 cells through
    the template engine's loops took most of a month's page (seconds, docs/benchmarks.md)."""
    rows = section.rows(user, query) if rows is None else rows
    columns = section.columns_for(query, rows)
    heads = [(c.key, c.kind, f'<td data-label="{escape(c.label)}" data-sort="', '" class="num">' if c.kind not in ("text", "period")
              else '">') for c in columns]
    body = []
    for row in rows[:ROWS_SHOWN]:
        cells = []
        for key, kind, start, middle in heads:
            value = row.get(key)
            cells.append(f"{start}{escape('' if value is None else value)}{middle}{escape(show(value, kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return {"section": section, "columns": columns, "body": mark_safe("".join(body)),  # noqa: S308 (every value escaped above)
            "count": len(rows), "truncated": len(rows) > ROWS_SHOWN,
            "csv_url": f"{section.key}.csv?{_querystring(request)}"}


class ReportsPage(ReportsAccess):
    def get(self, request):
        user = request.user
        form = self.form(request)
        base = "console/base_console.html" if user.role == Role.ADMIN else "reports/base_supervisor.html"
        context = {"base_template": base, "section": "reports", "form": form, "presets": PRESETS, "tenant": user.tenant}
        if not form.is_valid():
            return render(request, "reports/reports.html", context, status=400)
        query = form.query()
        rollup.refresh_for_report(user.tenant_id)
        totals, handle_times = selectors.totals_and_distribution(user, query)
        per_period = selectors.interactions(user, replace(query, group_by=""), fresh=False)
        tz = query.tz
        context.update(
            query=query, totals=totals,
            tiles=[("Offered", totals["offered"], "count"), ("Accepted", totals["accepted"], "count"),
                   ("Abandoned", totals["abandoned"], "count"), ("Service level", totals["service_level"], "ratio"),
                   ("Avg speed of answer", totals["asa_seconds"], "seconds"), ("Avg handle time", totals["handle_seconds"], "seconds"),
                   ("Messages in / out", f"{totals['messages_in']} / {totals['messages_out']}", "text"),
                   ("Opt-outs", totals["opt_outs"], "count")],
            volume=charts.volume(per_period),
            histogram=charts.histogram(handle_times),
            timeline_day=query.end, timeline=charts.timeline(selectors.agent_timeline(user, query, query.end, limit=TIMELINE_AGENTS), tz),
            # Without a grouping the interactions table holds the chart's rows: read once.
            tables=[_table(s, user, query, request, rows=per_period if s.key == "interactions" and not query.group_by else None)
                    for s in registry.sections_for(user)],
            tz_name=user.tenant.time_zone,
            active_preset=request.GET.get("preset") or ("custom" if request.GET.get("start") else "today"),
            preset_links=[(key, label, _querystring(request, preset=key, start="", end=""))
                          for key, label in PRESETS.items() if key != "custom"],
        )
        context["tiles"] = [(label, show(value, kind)) for label, value, kind in context["tiles"]]
        return render(request, "reports/reports.html", context)


class ReportsCsv(ReportsAccess):
    def get(self, request, key):
        section = registry.get(key)
        if section is None or request.user.role not in section.roles:
            raise Http404("No such report.")
        form = self.form(request)
        if not form.is_valid():
            # The form's own words, each field by its label as the page shows it (never its name).
            label = {name: field.label or name.replace("_", " ").capitalize() for name, field in form.fields.items()}
            text = "; ".join(" ".join(errors) if name == "__all__" else f"{label[name]}: {' '.join(errors)}"
                             for name, errors in form.errors.items())
            return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
        query = form.query()
        rollup.refresh_for_report(request.user.tenant_id)
        rows = section.rows(request.user, query)
        body = csv_export.render(section.columns_for(query, rows), rows)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{key}-{query.start}-{query.end}.csv"'
        return response


class TodayLive(ReportsAccess):
    def get(self, request):
        return JsonResponse(selectors.today_live(request.user))

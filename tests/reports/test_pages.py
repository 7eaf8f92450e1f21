"""The report pages and CSV export through HTTP: roles, figures shown, CSV content and its escaping."""
import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache

from routing.reports import registry
from routing.reports.registry import Column, Section
from tests import factories as f
from tests.reports.scripted import DAY, at, play_day

pytestmark = [pytest.mark.django_db]
AFTER = at(1, 0, day=DAY + timedelta(days=1))


@pytest.fixture
def day(client, settings):
    return play_day(client, settings)


def test_admin_sees_figures_charts_and_tables(client, day):
    client.force_login(day["admin"])
    with time_machine.travel(AFTER, tick=False):
        r = client.get("/console/reports/", {"start": "2026-03-10", "end": "2026-03-10", "interval": "hour"})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="chart-volume"' in html and html.count('class="bar"') == 24
    assert "33%" in html  # the day's service level tile
    assert html.count('data-testid="state-span"') >= 5  # mama: out, available, unavailable, available, out
    assert "mama" in html and 'data-testid="csv-interactions"' in html
    # The timeline's clock: a grid line and a label every three hours, placed (a lost y once left them unplaced).
    timeline = html[html.index('data-testid="chart-timeline"'):]
    assert len(re.findall(r'<line class="grid" x1="[\d.]+" x2="[\d.]+" y1="\d+" y2="\d+"/><text class="axis" x="[\d.]+" y="\d+"',
                          timeline)) == 8
    assert 'data-testid="timeline-hidden"' not in html


def test_the_timeline_draws_fifty_agents_and_says_so(client, day):
    for i in range(50):
        f.agent(day["tenant"], username=f"cub{i:02d}", team=day["team"])
    client.force_login(day["admin"])
    with time_machine.travel(AFTER, tick=False):
        html = client.get("/console/reports/", {"start": "2026-03-10", "end": "2026-03-10"}).content.decode()
    timeline = html[html.index('data-testid="chart-timeline"'):html.index('data-testid="table-')]
    assert timeline.count('class="axis name"') == 50 and "mama" not in timeline  # by name: cub00 … cub49 come before mama and papa
    assert "Showing the first 50 of 52 agents by name" in timeline


def test_supervisor_may_see_reports_agent_may_not(client, day):
    supervisor = f.user(day["tenant"], username="watcher", role="supervisor")
    client.force_login(supervisor)
    assert client.get("/console/reports/").status_code == 200
    client.force_login(day["mama"])
    r = client.get("/console/reports/")
    assert r.status_code == 403 and "administrators and supervisors" in r.content.decode()
    assert client.get("/console/reports/interactions.csv").status_code == 403


def test_bad_dates_are_a_400_page_with_the_reason(client, day):
    client.force_login(day["admin"])
    r = client.get("/console/reports/", {"start": "2026-03-10", "end": "2026-03-01"})
    assert r.status_code == 400 and "The end date is before the start date." in r.content.decode()
    r = client.get("/console/reports/agents.csv", {"interval": "fortnight", "point_of_contact": "x"})
    assert r.status_code == 400
    text = r.content.decode()
    assert text.startswith("Interval: Select a valid choice.") and "Point of contact: " in text
    assert "interval:" not in text and "point_of_contact" not in text  # the page's labels, never the field names
    assert client.get("/console/reports/nothing.csv").status_code == 404


def test_csv_has_every_row_and_its_figures(client, day):
    client.force_login(day["admin"])
    with time_machine.travel(AFTER, tick=False):
        r = client.get("/console/reports/agents.csv", {"start": "2026-03-10", "interval": "day"})
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert r["Content-Type"].startswith("text/csv") and "agents-2026-03-10-2026-03-10.csv" in r["Content-Disposition"]
    assert rows[0][:4] == ["Interval", "Agent", "Team", "Available"]
    mama = dict(zip(rows[0], next(row for row in rows if row[1] == "mama")))
    assert (mama["Available"], mama["Unavailable"], mama["Handled"]) == ("32160", "240", "2")
    assert mama["Unavailable: Offer timed out"] == "240"  # a column per reason, beside Unavailable


def test_the_dispositions_table_counts_ended_conversations_by_their_code(client, day):
    client.force_login(day["admin"])
    with time_machine.travel(AFTER, tick=False):
        r = client.get("/console/reports/dispositions.csv", {"start": "2026-03-10", "interval": "day"})
        page = client.get("/console/reports/", {"start": "2026-03-10", "end": "2026-03-10"}).content.decode()
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0] == ["Disposition", "Conversations", "Share"]
    # A (Resolved) and C (ended by its timer, no code); B was never answered, D never offered.
    assert sorted(rows[1:]) == [["No disposition", "1", "0.5"], ["Resolved", "1", "0.5"]]
    assert "Dispositions" in page and 'data-testid="csv-dispositions"' in page


def test_csv_escapes_formulas(client, day):
    """Names a person chose ("=HYPERLINK(...)", "-1+2") must reach a spreadsheet as text, not a formula."""
    with time_machine.travel(at(20, 0), tick=False):
        team = f.team(day["tenant"], '=HYPERLINK("http://evil.example","x")')
        f.agent(day["tenant"], username="-1+2", team=team, skills=[day["sms"]], state="available")
    client.force_login(day["admin"])
    with time_machine.travel(AFTER, tick=False):
        r = client.get("/console/reports/agents.csv", {"start": "2026-03-10", "end": "2026-03-11", "interval": "day"})
    evil = [row for row in csv.reader(io.StringIO(r.content.decode())) if "-1+2" in row[1]]
    assert evil and all(row[1:3] == ["'-1+2", "'=HYPERLINK(\"http://evil.example\",\"x\")"] for row in evil)


def test_another_app_adds_a_section(client, day):
    registry.register(Section(key="porridge", title="Porridge temperature", order=90,
                              columns=(Column("bowl", "Bowl", "text"), Column("degrees", "Degrees")),
                              rows=lambda user, query: [{"bowl": "+too hot", "degrees": 80}, {"bowl": "just right", "degrees": 45}]))
    try:
        client.force_login(day["admin"])
        html = client.get("/console/reports/").content.decode()
        assert "Porridge temperature" in html and 'data-testid="csv-porridge"' in html
        body = client.get("/console/reports/porridge.csv").content.decode()
        assert body.splitlines() == ["Bowl,Degrees", "'+too hot,80", "just right,45"]
    finally:
        registry._sections.pop("porridge")


def test_today_live_numbers(client, day):
    client.force_login(day["admin"])
    with time_machine.travel(at(12, 30), tick=False):
        live = client.get("/console/reports/today.json").json()
    assert (live["offered"], live["answered"], live["abandoned"], live["waiting"]) == (3, 2, 1, 0)


def test_today_live_is_read_once_per_window_for_every_supervisor(client, day, settings, django_assert_max_num_queries):
    settings.CXSMS_REPORTS_LIVE_SECONDS = 60
    cache.clear()
    supervisor = f.user(day["tenant"], username="watcher", role="supervisor")
    with time_machine.travel(at(12, 30), tick=False):
        client.force_login(day["admin"])
        first = client.get("/console/reports/today.json").json()
        client.force_login(supervisor)
        with django_assert_max_num_queries(4):  # the session and its user: the figures come from the first read
            second = client.get("/console/reports/today.json").json()
    assert second == first and first["offered"] == 3


def test_the_filters_keep_the_chosen_agent_and_escape_names(client, day):
    odd = f.user(day["tenant"], username="odd", role="agent")
    type(odd).objects.filter(pk=odd.pk).update(username="<b>odd</b>")  # past the form's rule, as an import might
    client.force_login(day["admin"])
    with time_machine.travel(AFTER, tick=False):
        r = client.get("/console/reports/", {"start": "2026-03-10", "end": "2026-03-10", "agent": day["mama"].pk, "interval": "day"})
    html = r.content.decode()
    assert r.status_code == 200
    assert '<select name="agent" id="id_agent">' in html
    assert f'<option value="{day["mama"].pk}" selected>mama</option>' in html
    assert '<option value="">Any agent</option>' in html  # not chosen: an agent is
    assert '<option value="day" selected>Day</option>' in html
    assert "&lt;b&gt;odd&lt;/b&gt;" in html and "<b>odd</b>" not in html

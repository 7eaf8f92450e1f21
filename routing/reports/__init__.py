"""Reporting: the figures a contact-center manager runs the floor by (docs/reporting.md).

- periods.py   interval cutting in the tenant's time zone (DST included)
- rollup.py    the per-room figures (RoomFact), each defined once, refreshed in batches
- selectors.py the reports: interactions, agents, live "today" numbers
- registry.py  sections other apps add to the report pages and CSV export
- views.py, api.py  the pages under /console/reports/ and /api/v1/reports/
"""

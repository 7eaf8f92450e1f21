"""The Campaigns section of the report pages: campaigns started in the period, with their outcome."""
import datetime
import zoneinfo

from routing.reports import registry

from . import selectors
from .models import Campaign

COLUMNS = (
    registry.Column("campaign_name", "Campaign", "text"), registry.Column("state", "State", "text"),
    registry.Column("recipients", "Recipients"), registry.Column("sent", "Sent"), registry.Column("delivered", "Delivered"),
    registry.Column("failed", "Failed"), registry.Column("skipped_opted_out", "Skipped: opted out"),
    registry.Column("skipped_invalid", "Skipped: could not be sent"),
)


def rows(user, query):
    tz = zoneinfo.ZoneInfo(query.tenant.time_zone)
    start = datetime.datetime.combine(query.start, datetime.time.min, tz)
    end = datetime.datetime.combine(query.end + datetime.timedelta(days=1), datetime.time.min, tz)
    out = []
    for c in Campaign.objects.filter(tenant=query.tenant, started_at__gte=start, started_at__lt=end).select_related("tenant",
                                                                                                                    "point_of_contact"):
        p = selectors.progress(c)
        out.append({"campaign_name": c.name, "state": c.get_state_display(), "recipients": p["total"],
                    "sent": p["sent"] + p["delivered"] + p["failed"], "delivered": p["delivered"], "failed": p["failed"],
                    "skipped_opted_out": p["skipped_opted_out"], "skipped_invalid": p["skipped_invalid"]})
    return out


def register():
    registry.register(registry.Section(key="campaigns", title="Campaigns", order=50, columns=COLUMNS, rows=rows,
                                       description="Campaigns started in the period: texts sent, delivered, failed and skipped."))

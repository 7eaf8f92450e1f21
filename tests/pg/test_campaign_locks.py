"""A campaign's state changes (start, pause, cancel) lock the campaign row only. Locking its tenant
and number too (a select_related lock) made a cancel wait for a dispatcher whose new texts
reference them while the dispatcher waited for the recipients the cancel was updating: PostgreSQL
found the deadlock in `make bench-campaigns`."""
import threading

import pytest
from django.db import connection, transaction

from campaigns import services
from campaigns.models import Campaign, ContactList
from routing.hub import outbound
from tests import factories as f

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_a_text_from_the_campaign_s_number_is_stored_while_the_campaign_is_locked(requires_pg):
    t = f.tenant(sms=True)
    poc = f.sms_poc(t)
    cl = ContactList.objects.create(tenant=t, name="prospects", columns=["name"], state="ready")
    campaign = services.campaign_save(campaign=Campaign(tenant=t, name="Lisbon", point_of_contact=poc, contact_list=cl,
                                                        template="Hi {name}"))
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def hold_the_campaign():
        try:
            with transaction.atomic():
                services._lock(campaign)  # what start, pause, resume and cancel take first
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_campaign)
    holder.start()
    try:
        assert locked.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # blocked on the tenant or number row: an error, not a hang
            message = outbound.text_send(point_of_contact=poc, to_number="+12025550142", body="Lisbon!")
        outcome["stored"] = message.pk
    finally:
        release.set()
        holder.join(10)
    assert outcome["stored"]

"""The migration that moves the Digital contact cards onto routing's contacts loses nothing: every
card's name, tags and notes land on the tenant's contact of that number (made if missing), a number's
opt-out stays, and a name routing already had is kept when the card had none."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("digital", "0001_initial"), ("routing", "0011_h_campaigns")]
AFTER = [("digital", "0002_h_digital"), ("routing", "0012_h_digital")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_schema_after():
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # every later migration again, for the tests that follow


def test_cards_move_to_routing_contacts_without_loss(latest_schema_after):
    old = migrate(BEFORE)
    try:
        Tenant, Card, Contact = old.get_model("routing", "Tenant"), old.get_model("digital", "Contact"), old.get_model("routing", "Contact")
        t1 = Tenant.objects.create(name="Migr One", slug="migr-one")
        t2 = Tenant.objects.create(name="Migr Two", slug="migr-two")
        Contact.objects.create(tenant=t1, number="+12125550401", name="Old name", opted_out=True)
        Contact.objects.create(tenant=t1, number="+12125550402", name="Kept name")
        Card.objects.create(tenant=t1, number="+12125550401", name="Rita", tags="vip, camper", notes="Prefers mornings")
        Card.objects.create(tenant=t1, number="+12125550402", name="", tags="camper", notes="")
        Card.objects.create(tenant=t2, number="+12125550401", name="Other tenant's Rita", tags="", notes="Not the same person")
        Card.objects.create(tenant=t2, number="+12125550403", name="New", tags="kayak", notes="No routing row before")
    finally:
        new = migrate(AFTER)
    Contact = new.get_model("routing", "Contact")
    rows = {(c.tenant.slug, c.number): (c.name, c.tags, c.notes, c.opted_out) for c in Contact.objects.select_related("tenant")
            if c.tenant.slug.startswith("migr-")}
    assert rows == {
        ("migr-one", "+12125550401"): ("Rita", "vip, camper", "Prefers mornings", True),
        ("migr-one", "+12125550402"): ("Kept name", "camper", "", False),
        ("migr-two", "+12125550401"): ("Other tenant's Rita", "", "Not the same person", False),
        ("migr-two", "+12125550403"): ("New", "kayak", "No routing row before", False),
    }
    with connection.cursor() as cursor:
        assert "digital_contact" not in connection.introspection.table_names(cursor)

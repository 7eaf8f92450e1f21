"""The contact card moves to routing's Contact (name, tags, notes), shared with the ACD workspace:
every digital card's fields are copied onto the tenant's routing contact of the same number (made if
missing; a name routing already had is kept when the card had none), then digital's table goes.
Backwards: the cards are copied back from routing's contacts that have a name, tags or notes."""
from django.db import migrations


def cards_to_routing(apps, schema_editor):
    Card = apps.get_model("digital", "Contact")
    Contact = apps.get_model("routing", "Contact")
    for card in Card.objects.all().iterator():
        contact, _ = Contact.objects.get_or_create(tenant_id=card.tenant_id, number=card.number)
        contact.name = card.name or contact.name
        contact.tags = card.tags
        contact.notes = card.notes
        contact.save(update_fields=["name", "tags", "notes"])


def cards_from_routing(apps, schema_editor):
    Card = apps.get_model("digital", "Contact")
    Contact = apps.get_model("routing", "Contact")
    kept = Contact.objects.exclude(name="", tags="", notes="").filter(number__startswith="+")
    for contact in kept.iterator():
        Card.objects.update_or_create(tenant_id=contact.tenant_id, number=contact.number[:20],
                                      defaults={"name": contact.name, "tags": contact.tags, "notes": contact.notes})


class Migration(migrations.Migration):

    dependencies = [
        ("digital", "0001_initial"),
        ("routing", "0012_h_digital"),
    ]

    operations = [
        migrations.RunPython(cards_to_routing, cards_from_routing),
        migrations.DeleteModel(name="Contact"),
    ]

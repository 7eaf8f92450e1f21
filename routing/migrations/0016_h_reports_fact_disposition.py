from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """The rows already rolled up take their room's disposition (only rooms that have one)."""
    RoomFact, Room = apps.get_model("routing", "RoomFact"), apps.get_model("routing", "Room")
    RoomFact.objects.filter(room__disposition__isnull=False).update(
        disposition_id=Subquery(Room.objects.filter(pk=OuterRef("room_id")).values("disposition_id")[:1]))


class Migration(migrations.Migration):
    dependencies = [("routing", "0015_merge_digital_reports")]

    operations = [
        migrations.AddField(model_name="roomfact", name="disposition_id", field=models.BigIntegerField(null=True)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

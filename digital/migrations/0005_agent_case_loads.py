"""The agents' case loads (User.case_load) from their cases, once: from here on the Digital services keep them."""
from django.db import migrations

COUNTING_STATES = ("new", "open", "escalated")


def count_loads(apps, schema_editor):
    User = apps.get_model("routing", "User")
    Case = apps.get_model("digital", "Case")
    loads = {}
    for agent_id in Case.objects.filter(state__in=COUNTING_STATES, agent__isnull=False).values_list("agent_id", flat=True):
        loads[agent_id] = loads.get(agent_id, 0) + 1
    for agent_id, load in loads.items():
        User.objects.filter(pk=agent_id).update(case_load=load)


class Migration(migrations.Migration):

    dependencies = [
        ("digital", "0004_entry_forced"),
        ("routing", "0018_user_case_load"),
    ]

    operations = [migrations.RunPython(count_loads, migrations.RunPython.noop)]

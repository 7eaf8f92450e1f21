"""R5: the country table. US and Canada allow long, toll-free and short codes; the others long codes only.
Only US long codes are allowed in Digital Experience mode. The operator edits this table afterwards."""
from django.db import migrations

COUNTRIES = [
    ("US", "United States", True, True, True, True),
    ("CA", "Canada", True, True, True, False),
    ("GB", "United Kingdom", True, False, False, False),
    ("IE", "Ireland", True, False, False, False),
    ("AU", "Australia", True, False, False, False),
    ("NZ", "New Zealand", True, False, False, False),
    ("DE", "Germany", True, False, False, False),
    ("FR", "France", True, False, False, False),
    ("ES", "Spain", True, False, False, False),
    ("IT", "Italy", True, False, False, False),
    ("NL", "Netherlands", True, False, False, False),
    ("BE", "Belgium", True, False, False, False),
    ("SE", "Sweden", True, False, False, False),
    ("NO", "Norway", True, False, False, False),
    ("DK", "Denmark", True, False, False, False),
    ("FI", "Finland", True, False, False, False),
    ("CH", "Switzerland", True, False, False, False),
    ("AT", "Austria", True, False, False, False),
    ("PL", "Poland", True, False, False, False),
    ("PT", "Portugal", True, False, False, False),
    ("MX", "Mexico", True, False, False, False),
    ("PR", "Puerto Rico", True, False, False, False),
]


def seed(apps, schema_editor):
    Country = apps.get_model("routing", "Country")
    for code, name, long, toll_free, short, digital in COUNTRIES:
        Country.objects.update_or_create(code=code, defaults=dict(name=name, long=long, toll_free=toll_free, short=short, digital=digital))


def unseed(apps, schema_editor):
    apps.get_model("routing", "Country").objects.filter(code__in=[c[0] for c in COUNTRIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

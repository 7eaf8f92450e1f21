"""Bench data in a throwaway database: one tenant, one SMS skill, one team (limit 12), N available
agents with API tokens, an administrator, a simulator carrier account and one SMS number.
With `--tenant digital` the tenant delivers in Digital mode (R15): concurrent-case limit 12 and one
fallback queue with every agent on it, so each text becomes a case offered to an agent.

Run by bench/run.py as `python -m bench.setup_data N [--tenant digital]` with the server's DATABASE_URL; prints JSON.
Everything goes through routing.services, like the product's own set-up."""
import json
import os
import sys

import django


def main(n_agents, tenant_mode="acd"):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")
    django.setup()
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from routing import services
    from routing.acd import agents as acd_agents
    from routing.choices import Channel, CodeType, Direction, Provider, Role
    from routing.models import CarrierAccount, Country, PointOfContact, Skill, Team, Tenant, User

    with transaction.atomic():
        digital = tenant_mode == "digital"
        tenant = services.object_save(instance=Tenant(name="Bench", slug="bench", sms_messaging_enabled=True,
                                                      digital_experience_enabled=digital,
                                                      **({"sms_delivery": "digital", "case_limit": 12} if digital else {})))
        team = services.object_save(instance=Team(tenant=tenant, name="Bench team", session_limit=12))
        skill = services.object_save(instance=Skill(tenant=tenant, name="Bench SMS", channel=Channel.SMS, direction=Direction.INBOUND))
        carrier = services.object_save(instance=CarrierAccount(tenant=tenant, name="Bench simulator", provider=Provider.SIMULATOR))
        poc = services.object_save(instance=PointOfContact(tenant=tenant, channel=Channel.SMS, number="+16465550100", name="Bench line",
                                                           country=Country.objects.get(code="US"), code_type=CodeType.LONG,
                                                           carrier_account=carrier, skill=skill))
        admin = services.user_save(user=User(tenant=tenant, username="bench-admin", role=Role.ADMIN))
        agents = []
        for i in range(n_agents):
            agent = services.user_save(user=User(tenant=tenant, username=f"agent{i:03d}", role=Role.AGENT, team=team), skills=[skill])
            agents.append(agent)
        if digital:
            from digital import services as digital_services
            from digital.models import Queue

            digital_services.queue_save(instance=Queue(tenant=tenant, name="Bench queue", is_fallback=True), agents=agents)
    # Available one by one, outside the set-up transaction, as agents would log in.
    for agent in agents:
        acd_agents.agent_set_state(agent=agent, state="available")
    carrier.refresh_from_db()
    from django.db import connection

    if connection.vendor == "postgresql":
        # Statistics, as a database in service has them (autovacuum analyzes after big changes, but
        # not within the seconds before the first rate): planned on the set-up's empty tables,
        # statements ran with plans for tables of a few rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    out = {
        "poc_number": poc.number,
        "account_sid": carrier.account_sid,
        "auth_token": carrier.auth_token,
        "admin_token": Token.objects.get_or_create(user=admin)[0].key,
        "agents": [{"id": a.id, "username": a.username, "token": Token.objects.get_or_create(user=a)[0].key} for a in agents],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    args = sys.argv[1:]
    mode = args[args.index("--tenant") + 1] if "--tenant" in args else "acd"
    numbers = [a for a in args if a.isdigit()]
    main(int(numbers[0]) if numbers else 200, mode)

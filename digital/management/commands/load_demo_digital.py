"""Young Adventurers' Digital Experience set-up (idempotent; `load_demo` runs it): the queues "Prospects"
(filter #ADVENTUREME) and "General" (the fallback), tommy and albert on both."""
from django.core.management.base import BaseCommand
from routing import services as routing_services
from routing.models import Tenant, User

from digital import services
from digital.models import Filter, Queue


class Command(BaseCommand):
    help = "Load Young Adventurers' Digital queues and filters (after load_demo)."

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug="young-adventurers").first()
        if tenant is None:
            self.stderr.write("Run load_demo first: there is no Young Adventurers tenant.")
            return
        agents = list(User.objects.filter(tenant=tenant, username__in=["tommy", "albert"]))
        made = 0
        queues = {}
        for name, priority, fallback in [("Prospects", 1, False), ("General", 2, True)]:
            queue = Queue.objects.filter(tenant=tenant, name=name).first()
            if queue is None:
                queue, made = Queue(tenant=tenant, name=name, priority=priority, is_fallback=fallback), made + 1
            queues[name] = services.queue_save(instance=queue, agents=agents)
        if not Filter.objects.filter(tenant=tenant, keywords__icontains="#ADVENTUREME").exists():
            routing_services.object_save(instance=Filter(tenant=tenant, queue=queues["Prospects"], position=10,
                                                         name="Prospects texting #ADVENTUREME", keywords="#ADVENTUREME"))
            made += 1
        self.stdout.write(f"Digital demo: {made} created." if made else "Digital demo already loaded.")

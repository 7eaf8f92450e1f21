"""CPU per text of the product's own work, without daphne, sockets or the channel layer: in one
process, one text after another, the signed webhook (the view as routing/hub/asgi.py serves it),
the agent's accept and answer (the socket actions' function), the outbox sending the answer, and
the pushes handed to a push pump on an event loop of its own. What `make bench` measures minus the
server and websocket machinery: the part this repository's code decides.

    make bench-service                        # PostgreSQL (private server), 300 texts
    make bench-service BENCH_ARGS="--texts 1000 --sqlite"
    make bench-service BENCH_ARGS="--baseline"  # also the bare pipeline's view, served the same way

Prints the process's CPU time per text (all threads) split by step. Uses a throwaway database.
With --baseline it also runs the baseline's view of `make bench` (bench/baseline/views.py) through
the same webhook path and push pump: the webhook's cost in the product against the bare pipeline's.
"""
import argparse
import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run as a script: bench.run and tests.pg.cluster


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--texts", type=int, default=300)
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--sqlite", action="store_true", help="SQLite file instead of the private PostgreSQL server")
    p.add_argument("--baseline", action="store_true", help="also the bare pipeline's webhook, served the same way")
    args = p.parse_args()
    from bench.run import make_cluster, services_env, services_stop

    # A throwaway database as `make bench` makes one (no server is started).
    cluster = make_cluster("sqlite" if args.sqlite else "pg", 1, {}, {} if args.sqlite else services_env())
    try:
        cluster.create_database()
        # The product's tables and the baseline's one (bench/baseline/settings.py adds its app).
        cluster.manage("migrate", "--noinput", env={"DJANGO_SETTINGS_MODULE": "bench.baseline.settings"})
        env = dict(cluster.env, CXSMS_DEBUG="0", CXSMS_SECRET_KEY="bench-only-key", CXSMS_ALLOWED_HOSTS="testserver",
                   CXSMS_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="cxsms_site.settings")
        env.pop("REDIS_URL", None)  # the in-memory layer: the channel layer is not what this measures
        subprocess.run([sys.executable, "-m", "bench.service_cpu", "--run", str(args.texts), str(args.agents)], cwd=ROOT, env=env,
                       check=True)
        if args.baseline:
            subprocess.run([sys.executable, "-m", "bench.service_cpu", "--run-baseline", str(args.texts)], cwd=ROOT, check=True,
                           env=dict(env, DJANGO_SETTINGS_MODULE="bench.baseline.settings"))
    finally:
        cluster.drop_database()
        if not args.sqlite:
            services_stop()


def run(n_texts, n_agents):
    import django

    django.setup()
    from django.db import connection
    from twilio.request_validator import RequestValidator

    from bench import setup_data
    from routing import events, jobs
    from routing.hub import webhooks
    from routing.consumers import _agent_action
    from routing.hub.asgi import _respond
    from routing.models import Room, User
    from routing.ws_auth import Grant

    with contextlib.redirect_stdout(io.StringIO()) as out:
        setup_data.main(n_agents)
    info = json.loads(out.getvalue())
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    events.start_pump(loop)  # pushes leave from a loop, as under daphne
    agents = {a.id: a for a in User.objects.filter(role="agent")}
    # What each agent's socket was allowed on, as its token handshake records it (routing/ws_auth.py).
    tokens = {a["id"]: a["token"] for a in info["agents"]}
    grants = {pk: Grant.from_scope({"auth_method": "token", "auth_token": tokens[pk]}, a) for pk, a in agents.items()}
    validator = RequestValidator(info["auth_token"])
    url = "http://testserver/hooks/twilio/sms/"
    act = _agent_action.func  # the socket action itself, without the hop to a worker thread

    def text(i, spent):
        params = {"To": info["poc_number"], "From": "+1646200%04d" % i, "Body": "Is my order on its way?",
                  "MessageSid": "SM%032d" % i, "AccountSid": info["account_sid"]}
        scope = {"type": "http", "method": "POST", "path": "/hooks/twilio/sms/", "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"x-twilio-signature", validator.compute_signature(url, params).encode())]}
        t0 = time.process_time()
        response = _respond(webhooks.twilio_sms, scope, urllib.parse.urlencode(params).encode())
        t1 = time.process_time()
        assert response.status_code == 200, response.content
        room_id, agent_id = Room.objects.filter(contact_number=params["From"]).values_list("id", "agent_id").get()
        agent, grant = agents[agent_id], grants[agent_id]
        t2 = time.process_time()
        accepted, _ = act(grant, agent, {"type": "room.accept", "room": room_id, "ref": "a"})
        t3 = time.process_time()
        sent, _ = act(grant, agent, {"type": "message.send", "room": room_id, "ref": "s", "body": "It left this morning."})
        t4 = time.process_time()
        ended, _ = act(grant, agent, {"type": "room.end", "room": room_id, "ref": "e"})
        t5 = time.process_time()
        assert (accepted["status"], sent["status"], ended["status"]) == (200, 201, 200), (accepted, sent, ended)
        ran = drain(outbox)  # the worker's share: the answer's send (a job on the outbox queue)
        t6 = time.process_time()
        assert ran >= 1
        for k, v in zip(("webhook", "accept", "answer", "end", "outbox job"), (t1 - t0, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            spent[k] += v

    def drain(queue):
        n = 0
        while (task := queue.dequeue()) is not None:
            queue.execute(task)
            n += 1
        return n

    outbox = jobs.queue("outbox")
    warm = dict.fromkeys(("webhook", "accept", "answer", "end", "outbox job"), 0.0)
    for i in range(30):  # prepared statements, caches
        text(i, warm)
    spent = dict.fromkeys(warm, 0.0)
    for i in range(30, 30 + n_texts):
        text(i, spent)
    total = sum(spent.values())
    print(f"{connection.vendor}, {n_agents} agents, {n_texts} texts: {1000 * total / n_texts:.2f} ms CPU per text — "
          + ", ".join(f"{k} {1000 * v / n_texts:.2f}" for k, v in spent.items()))


def run_baseline(n_texts):
    """The baseline's view (one insert, one push) through the product's webhook path and pump, on
    the agents run() created."""
    import django

    django.setup()
    from django.db import connection

    from bench.baseline import views
    from routing import events
    from routing.hub.asgi import _respond

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    events.start_pump(loop)

    def text(i):
        body = urllib.parse.urlencode({"From": "+1646300%04d" % i, "Body": "Is my order on its way?"}).encode()
        scope = {"type": "http", "method": "POST", "path": "/hooks/twilio/sms/", "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded")]}
        t0 = time.process_time()
        response = _respond(views.inbound, scope, body)
        spent = time.process_time() - t0
        assert response.status_code == 200, response.content
        return spent

    for i in range(30):
        text(i)
    total = sum(text(i) for i in range(30, 30 + n_texts))
    print(f"{connection.vendor}, baseline, {n_texts} texts: webhook {1000 * total / n_texts:.2f} ms CPU per text")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        run(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--run-baseline":
        run_baseline(int(sys.argv[2]))
    else:
        main()

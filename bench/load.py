"""The bench's clients, in processes of their own (never inside a server):

  python -m bench.load agents SPEC   N websocket clients, one per agent (token auth, `websockets`).
                                     They answer every room.offered: accept, then send a text (product
                                     only), over their socket as the workspace page does, or with
                                     "actions": "rest" in SPEC through POST accept/ and messages/. With
                                     "tenant": "digital" in SPEC (the product's Digital mode) they answer
                                     every case.assigned as the inbox page does: accept, send a text, close
                                     the case, over the socket (or the REST API with "actions": "rest").
                                     Commands on stdin, one JSON line each:
                                       {"cmd": "drain", "gen": PATH, "quiet": s, "max": s}  wait for the offers of a step
                                          and the agents' answers -> {"drained": true}; then
                                       {"cmd": "resync"}  resync every socket (final snapshot) -> {"ok": ..., "p99": ...}
                                       {"cmd": "dump", "out": PATH}  write every observation and exit
  python -m bench.load gen SPEC OUT RATE SECONDS FIRST
                                     open-loop generator: signed inbound webhooks at RATE/s for SECONDS,
                                     contacts numbered from FIRST, round-robin over the servers; it never
                                     waits for a reply before the next send. Each request records its
                                     scheduled time (`due`), from which bench/run.py counts latency.

All times are time.monotonic() (CLOCK_MONOTONIC, one clock for every process of the machine).
"""
import asyncio
import json
import sys
import time
from urllib.parse import urlencode, urlparse

WEBHOOK = "/hooks/twilio/sms/"


def contact_number(i):
    # Valid US numbers (phonenumbers), distinct for i < 800000: +1 646 2xx-9xx xxxx.
    return "+1646%03d%04d" % (200 + i // 10000, i % 10000)


# --- a minimal HTTP/1.1 client (asyncio streams): cheap enough not to be what we measure -------------

async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.read()
    return status, headers, body


def build_request(method, host, port, path, headers=None, body=b"", close=False):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    if close:
        lines.append("Connection: close")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin1") + body


class KeepAlive:
    """One persistent connection, one request at a time (an agent's browser tab)."""

    def __init__(self, url, headers):
        u = urlparse(url)
        self.host, self.port, self.headers = u.hostname, u.port, headers
        self.reader = self.writer = None

    async def request(self, method, path, payload=None):
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = dict(self.headers, **({"Content-Type": "application/json"} if payload is not None else {}))
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(build_request(method, self.host, self.port, path, headers, body))
                status, rh, data = await read_response(self.reader)
                if rh.get("connection", "").lower() == "close":
                    self.close()
                return status, data
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- the generator --------------------------------------------------------------------------------

async def generate(spec, out, rate, seconds, first):
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(spec["auth_token"])
    urls = spec["urls"]
    n = int(rate * seconds)
    prepared = []
    for k in range(n):
        i = first + k
        url = urls[k % len(urls)]
        u = urlparse(url)
        params = {"MessageSid": "SMbench%026d" % i, "AccountSid": spec["account_sid"], "From": contact_number(i),
                  "To": spec["poc_number"], "Body": f"Bench text {i}", "NumMedia": "0"}
        signature = validator.compute_signature(url + WEBHOOK, params)
        body = urlencode(params).encode()
        req = build_request("POST", u.hostname, u.port, WEBHOOK, {"Content-Type": "application/x-www-form-urlencoded",
                                                                  "X-Twilio-Signature": signature}, body, close=True)
        prepared.append((i, u.hostname, u.port, req))
    results = [None] * n

    async def send(k, due):
        i, host, port, req = prepared[k]
        t0 = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(req)
            status, _, _ = await asyncio.wait_for(read_response(reader), 60)
            writer.close()
        except Exception as exc:  # counted as an error, never retried: the carrier would retry, we measure
            status = repr(exc)[:80]
        results[k] = {"i": i, "contact": contact_number(i), "due": due, "t_send": t0, "t_done": time.monotonic(), "status": status}

    tasks = []
    start = time.monotonic() + 0.2
    for k in range(n):
        due = start + k / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(send(k, due)))
    await asyncio.gather(*tasks)
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(out, "w") as f:
        json.dump({"rate": rate, "seconds": seconds, "first": first, "start": start, "requests": results,
                   "cpu_s": usage.ru_utime + usage.ru_stime}, f)


# --- the agents -----------------------------------------------------------------------------------

class Agent:
    def __init__(self, info, url, mode, obs, actions="ws", tenant="acd", close=False):
        self.info, self.url, self.mode, self.obs, self.actions, self.close = info, url, mode, obs, actions, close
        self.digital = mode == "product" and tenant == "digital"  # cases (case.assigned) instead of rooms
        self.ws = None
        self.agent_seq = None
        self.queue = asyncio.Queue()
        self.handled = set()
        self.snapshot_waiters = []
        self.http = KeepAlive(url, {"Authorization": "Token " + info["token"]})
        self.replies, self.next_ref = {}, 1

    async def connect(self):
        import websockets

        ws_url = self.url.replace("http://", "ws://") + "/ws/agent/"
        self.ws = await websockets.connect(ws_url, additional_headers={"Authorization": "Token " + self.info["token"]}, origin=self.url,
                                           compression=None, max_queue=None, open_timeout=30, ping_interval=None)
        first = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        assert first.get("type") == "snapshot", first
        self.on_snapshot(first, time.monotonic(), initial=True)

    def seen(self, room, t, how):
        contact = room.get("contact_number")
        self.obs["seen"].append([contact, room.get("id"), self.info["id"], t, how])

    def on_snapshot(self, frame, t, initial=False, how="snapshot"):
        if frame.get("agent_seq") is not None:
            self.agent_seq = frame["agent_seq"]
        for room in frame.get("rooms", []):
            if initial:
                self.handled.add(room.get("id"))
                continue
            self.seen(room, t, how)
            if room.get("state") == "offered" and room.get("id") not in self.handled:
                self.handled.add(room["id"])
                self.queue.put_nowait(room["id"])
        for case in frame.get("cases", []) if self.digital else ():
            if initial:
                self.handled.add(case.get("id"))
                continue
            self.seen(case, t, how)
            if case.get("state") == "new" and case.get("id") not in self.handled:
                self.handled.add(case["id"])
                self.queue.put_nowait(case["id"])

    async def read(self):
        import websockets

        try:
            async for raw in self.ws:
                t = time.monotonic()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "reply":
                    waiter = self.replies.pop(frame.get("ref"), None)
                    if waiter and not waiter.done():
                        waiter.set_result(frame)
                    continue
                if kind == "snapshot":
                    waiter = self.snapshot_waiters.pop(0) if self.snapshot_waiters else None
                    self.on_snapshot(frame, t, how=waiter[1] if waiter else "snapshot")
                    if waiter:
                        waiter[0].set_result(True)
                    continue
                seq = frame.get("agent_seq")
                if seq is not None and self.agent_seq is not None:
                    if seq <= self.agent_seq:
                        continue  # already in the snapshot
                    if seq != self.agent_seq + 1:
                        # a push was lost on the way: ask for the truth, as the workspace page does
                        self.obs["gaps"] += 1
                        self.agent_seq = seq
                        await self.resync("gap-resync", wait=False)
                    else:
                        self.agent_seq = seq
                if kind == "room.offered":
                    room = frame["room"]
                    self.obs["offers"].append([room.get("contact_number"), room.get("id"), self.info["id"], t])
                    self.seen(room, t, "frame")
                    if self.mode == "product" and room.get("id") not in self.handled:
                        self.handled.add(room["id"])
                        self.queue.put_nowait(room["id"])
                elif kind == "case.assigned" and self.digital:
                    case = frame["case"]
                    if case.get("agent") != self.info["id"]:
                        continue
                    self.obs["offers"].append([case.get("contact_number"), case.get("id"), self.info["id"], t])
                    self.seen(case, t, "frame")
                    if case.get("id") not in self.handled:
                        self.handled.add(case["id"])
                        self.queue.put_nowait(case["id"])
        except websockets.ConnectionClosed as exc:
            self.obs["closed"].append([self.info["id"], str(exc)])

    async def resync(self, how, wait=True):
        fut = asyncio.get_running_loop().create_future()
        self.snapshot_waiters.append((fut, how))
        await self.ws.send(json.dumps({"type": "resync"}))
        if wait:
            await asyncio.wait_for(fut, 30)

    async def command(self, payload):
        """An action over the socket, as the workspace page sends it; returns the reply's status."""
        ref = self.next_ref
        self.next_ref += 1
        fut = asyncio.get_running_loop().create_future()
        self.replies[ref] = fut
        await self.ws.send(json.dumps(dict(payload, ref=ref)))
        return (await asyncio.wait_for(fut, 60))["status"]

    async def work(self):
        """Accept, then answer, every room offered to this agent (product only): over the socket as
        the workspace page does (actions "ws"), or through the REST API (actions "rest")."""
        body = "Hello, this is the bench agent."
        if self.digital:
            return await self.work_cases(body)
        while True:
            room_id = await self.queue.get()
            await self.steps([
                (f"/api/v1/rooms/{room_id}/accept/", None, {"type": "room.accept", "room": room_id}, "accept"),
                (f"/api/v1/rooms/{room_id}/messages/", {"body": body}, {"type": "message.send", "room": room_id, "body": body}, "answer")])

    async def work_cases(self, body):
        """Digital mode: accept every case offered to this agent and answer it, as the ACD agents do
        (the reset between rates closes the cases); with `close` also close it (frees the agent's
        capacity, R15): over the socket as the inbox page does while it is open (actions "ws":
        case.accept, case.reply, case.state), or through the REST API (actions "rest")."""
        while True:
            case_id = await self.queue.get()
            base = f"/api/v1/digital/cases/{case_id}/"
            steps = [(base + "accept/", None, {"type": "case.accept", "case": case_id}, "accept"),
                     (base + "messages/", {"body": body}, {"type": "case.reply", "case": case_id, "body": body}, "answer")]
            if self.close:
                steps.append((base + "state/", {"state": "closed"}, {"type": "case.state", "case": case_id, "state": "closed"}, "close"))
            await self.steps(steps)

    async def steps(self, steps):
        """One object's actions in order, each timed into obs[key]: a frame over the socket (actions
        "ws") or the REST call (actions "rest"); a step that fails ends the object's turn."""
        for path, payload, command, key in steps:
            t0 = time.monotonic()
            try:
                if self.actions == "ws":
                    status = await self.command(command)
                else:
                    status, _ = await self.http.request("POST", path, payload)
            except Exception as exc:
                status = repr(exc)[:60]
            self.obs.setdefault(key, []).append([status, time.monotonic() - t0])
            if status not in (200, 201, 202):
                break


async def run_agents(spec):
    obs = {"seen": [], "offers": [], "gaps": 0, "closed": [], "accept": [], "answer": [], "final_resync_failures": 0}
    urls = spec["urls"]
    agents = [Agent(a, urls[k % len(urls)], spec["mode"], obs, spec.get("actions", "ws"), spec.get("tenant", "acd"),
                    spec.get("close", False))
              for k, a in enumerate(spec["agents"])]
    sem = asyncio.Semaphore(20)

    async def connect(a):
        async with sem:
            await a.connect()

    await asyncio.gather(*(connect(a) for a in agents))
    tasks = [asyncio.ensure_future(a.read()) for a in agents] + [asyncio.ensure_future(a.work()) for a in agents]
    print(json.dumps({"ready": len(agents)}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "drain":
            gen = json.load(open(cmd["gen"]))
            wanted = {r["contact"] for r in gen["requests"] if r["status"] == 200}
            # Until every accepted webhook's contact reached a page, or nothing new arrives for `quiet` s.
            deadline = time.monotonic() + cmd["max"]
            last_count, last_change = -1, time.monotonic()
            while time.monotonic() < deadline:
                got = {s[0] for s in obs["seen"]} & wanted
                if len(got) == len(wanted):
                    break
                if len(got) != last_count:
                    last_count, last_change = len(got), time.monotonic()
                elif time.monotonic() - last_change > cmd["quiet"]:
                    break
                await asyncio.sleep(0.1)
            # Let the accept/answer work of this step finish before the next one.
            deadline = time.monotonic() + cmd["max"]
            while any(not a.queue.empty() for a in agents) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            print(json.dumps({"drained": True}), flush=True)
            await reader.readline()  # {"cmd": "resync"}
            # The final snapshot resync of every page.
            results = await asyncio.gather(*(a.resync("final-resync") for a in agents), return_exceptions=True)
            obs["final_resync_failures"] += sum(1 for r in results if isinstance(r, Exception))
            first_seen = {}
            for contact, _, _, t, _ in obs["seen"]:
                if contact in wanted and (contact not in first_seen or t < first_seen[contact]):
                    first_seen[contact] = t
            # From the scheduled send time, as bench/run.py counts it (open loop).
            lat = sorted(first_seen[r["contact"]] - r["due"] for r in gen["requests"] if r["contact"] in first_seen)
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None
            print(json.dumps({"ok": True, "wanted": len(wanted), "seen": len(first_seen), "p99": p99}), flush=True)
        elif cmd["cmd"] == "dump":
            import resource

            usage = resource.getrusage(resource.RUSAGE_SELF)
            obs["cpu_s"] = usage.ru_utime + usage.ru_stime
            with open(cmd["out"], "w") as f:
                json.dump(obs, f)
            break
    for t in tasks:
        t.cancel()
    await asyncio.gather(*(a.ws.close() for a in agents), return_exceptions=True)
    print(json.dumps({"done": True}), flush=True)


def main(argv):
    spec = json.load(open(argv[1]))
    if argv[0] == "agents":
        asyncio.run(run_agents(spec))
    elif argv[0] == "gen":
        asyncio.run(generate(spec, argv[2], float(argv[3]), float(argv[4]), int(argv[5])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

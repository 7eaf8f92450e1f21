"""Helpers for text-hub tests: signed Twilio-format requests through the real HTTP entry points,
and a fake Twilio REST server on loopback that records sends and injects failures."""
import http.server
import itertools
import json
import threading
import time
import urllib.parse

from twilio.request_validator import RequestValidator

_sid = itertools.count(1)
SMS_URL = "http://testserver/hooks/twilio/sms/"
STATUS_URL = "http://testserver/hooks/twilio/status/"


def new_sid():
    return "SM%032d" % next(_sid)


def inbound_params(poc, from_number, body, sid=None):
    return {"MessageSid": sid or new_sid(), "AccountSid": poc.carrier_account.account_sid, "From": from_number, "To": poc.number,
            "Body": body, "NumMedia": "0", "NumSegments": "1"}


def post_inbound(client, poc, from_number, body, sid=None, token=None, sign=True, params=None):
    params = params or inbound_params(poc, from_number, body, sid)
    headers = {}
    if sign:
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(token or poc.carrier_account.auth_token).compute_signature(SMS_URL, params)
    return client.post("/hooks/twilio/sms/", params, **headers)


def post_status(client, poc, message_sid, status, error_code=None, token=None):
    params = {"MessageSid": message_sid, "MessageStatus": status, "AccountSid": poc.carrier_account.account_sid}
    if error_code:
        params["ErrorCode"] = error_code
    sig = RequestValidator(token or poc.carrier_account.auth_token).compute_signature(STATUS_URL, params)
    return client.post("/hooks/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE=sig)


class FakeTwilio:
    """Loopback stand-in for Twilio's Messages.json (POST to send, GET to list)."""

    def __init__(self):
        self.sent = []
        self.requests = []
        self.script = []  # per POST, in order: "ok", "500", "timeout" (record then answer too late), "21610"
        self.delay = 0.0
        outer = self
        counter = itertools.count(1)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self, code, payload):
                body = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                to = q.get("To", [None])[0]
                rows = [{"sid": m["sid"], "to": m["To"], "from": m.get("From", ""), "body": m["Body"], "status": "queued"}
                        for m in outer.sent if to is None or m["To"] == to]
                self._reply(200, {"messages": rows})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n)
                if len(data) < n:  # the sender died mid-request (a kill -9 test): Twilio sends nothing either
                    return
                form = {k: v[0] for k, v in urllib.parse.parse_qs(data.decode()).items()}
                if not form.get("To") or not form.get("Body"):
                    return self._reply(400, {"code": 21604, "message": "A 'To' phone number and a 'Body' are required.", "status": 400})
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **form})
                action = outer.script.pop(0) if outer.script else "ok"
                if action == "500":
                    return self._reply(500, {"code": 20500, "message": "Internal Server Error"})
                if action == "21610":
                    return self._reply(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400})
                sid = "SM%032d" % next(counter)
                outer.sent.append({"path": self.path, "sid": sid, **form})
                if action == "timeout":
                    time.sleep(outer.timeout_sleep)
                self._reply(201, {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"), "body": form.get("Body")})

            def log_message(self, *a):
                pass

        self.timeout_sleep = 1.5
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def to(self, number):
        return [m for m in self.sent if m.get("To") == number]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

"""The client against tiny local HTTP servers: retries with Retry-After for reads and uploads, never for POSTs
that spend or submit, network errors, the service's error shape, the event stream reopened after a drop, and the
models built tolerantly."""
import email.utils
import http.server
import json
import socket
import threading
import time
import unittest
from typing import Callable, List, Tuple

from veil_client import Client, JobProgress, VeilApiError, VeilNetworkError, is_veil_api_error
from veil_client._http import retry_after_seconds
from veil_client.models import AccountPage, Job, UploadedData
from veil_client.sse import read_events


class Fake:
    """A local HTTP server answering with ``handler(method, path, body) -> (status, headers, body)``; it records
    each request."""

    def __init__(self, handler: Callable[[str, str, bytes, dict], Tuple[int, dict, bytes]]):
        self.requests: List[Tuple[str, str, dict]] = []
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _do(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                fake.requests.append((self.command, self.path, dict(self.headers)))
                status, headers, out = handler(self.command, self.path, body, dict(self.headers))
                if out is None:  # drop the connection without an answer
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if callable(out):
                    self.send_header("connection", "close")
                    self.end_headers()
                    out(self.wfile)
                    self.close_connection = True
                    return
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = _do

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def js(obj) -> bytes:
    return json.dumps(obj).encode()


def err(status: int, code: str, **headers):
    return status, {"content-type": "application/json", "x-request-id": "r_test", **headers}, js(
        {"error": {"code": code, "message": f"{code} here"}})


class Retries(unittest.TestCase):
    def client(self, fake: Fake, **kw) -> Client:
        kw.setdefault("backoff", 0.01)
        return Client(fake.url, "veil_test_key", **kw)

    def test_a_read_is_retried_after_503_with_retry_after_then_succeeds(self):
        answers = [err(503, "unavailable", **{"retry-after": "1"}), err(503, "unavailable", **{"retry-after": "0"}),
                   (200, {"content-type": "application/json"}, js({"name": "acme", "createdAt": "x", "new": 1}))]
        fake = Fake(lambda m, p, b, h: answers.pop(0))
        self.addCleanup(fake.close)
        t = time.monotonic()
        org = self.client(fake).organisation()
        self.assertGreaterEqual(time.monotonic() - t, 0.9, "Retry-After: 1 is waited for")
        self.assertEqual(org.name, "acme")
        self.assertEqual(org.raw["new"], 1)
        self.assertEqual(len(fake.requests), 3)
        for method, path, headers in fake.requests:
            self.assertEqual((method, path), ("GET", "/v1/org"))
            self.assertEqual(headers["Authorization"], "Bearer veil_test_key")
            self.assertTrue(headers["User-Agent"].startswith("veil-client-python/"))

    def test_429_502_504_are_retried_and_the_last_refusal_raised(self):
        fake = Fake(lambda m, p, b, h: err(502 if len(fake.requests) % 2 else 429, "busy"))
        self.addCleanup(fake.close)
        with self.assertRaises(VeilApiError) as cm:
            self.client(fake, retries=2).me()
        self.assertEqual(len(fake.requests), 3)
        self.assertIn(cm.exception.status, (429, 502))
        self.assertEqual(cm.exception.request_id, "r_test")

    def test_a_retry_after_beyond_max_backoff_is_not_waited_for(self):
        fake = Fake(lambda m, p, b, h: err(429, "rate_limited", **{"retry-after": "120"}))
        self.addCleanup(fake.close)
        t = time.monotonic()
        with self.assertRaises(VeilApiError) as cm:
            self.client(fake, max_backoff=5).list_accounts()
        self.assertLess(time.monotonic() - t, 2)
        self.assertEqual((cm.exception.status, cm.exception.code, cm.exception.retry_after), (429, "rate_limited", 120))
        self.assertEqual(len(fake.requests), 1)

    def test_posts_that_spend_or_submit_are_sent_once(self):
        fake = Fake(lambda m, p, b, h: err(503, "unavailable", **{"retry-after": "0"}))
        self.addCleanup(fake.close)
        c = self.client(fake, retries=5)
        with self.assertRaises(VeilApiError) as cm:
            c.spend("acme/x", epsilon=0.1, purpose="p")
        self.assertEqual((cm.exception.status, cm.exception.code), (503, "unavailable"))
        with self.assertRaises(VeilApiError):
            c.submit_job("train", {"epochs": 1})
        with self.assertRaises(VeilApiError):
            c.create_account("acme/y", 1, 1e-5)
        self.assertEqual([(m, p) for m, p, _ in fake.requests],
                         [("POST", "/v1/spends"), ("POST", "/v1/jobs"), ("POST", "/v1/accounts")])
        spend = json.loads(json.dumps({"account": "acme/x"}))  # the body as sent
        self.assertEqual(spend["account"], "acme/x")

    def test_a_post_is_not_resent_after_a_dropped_connection(self):
        fake = Fake(lambda m, p, b, h: (0, {}, None))
        self.addCleanup(fake.close)
        with self.assertRaises(VeilNetworkError) as cm:
            self.client(fake, retries=5).submit_job("synth", {})
        self.assertEqual((cm.exception.status, cm.exception.code), (0, "network_error"))
        self.assertEqual(len(fake.requests), 1)

    def test_an_upload_is_retried(self):
        bodies = []

        def h(m, p, b, hd):
            bodies.append(b)
            if len(bodies) == 1:
                return err(503, "unavailable", **{"retry-after": "0"})
            return 201, {"content-type": "application/json"}, js({"name": "d", "bytes": len(b), "fingerprint": "f"})

        fake = Fake(h)
        self.addCleanup(fake.close)
        up = self.client(fake).upload_dataset("d", b"a,b\n1,2\n")
        self.assertEqual((up.name, up.size), ("d", 8))
        self.assertEqual(bodies, [b"a,b\n1,2\n"] * 2)
        self.assertEqual(fake.requests[1][2]["Content-Type"], "application/octet-stream")

    def test_a_service_that_cannot_be_reached_is_a_network_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        c = Client(f"http://127.0.0.1:{port}", "k", retries=1, backoff=0.01)
        with self.assertRaises(VeilNetworkError) as cm:
            c.me()
        self.assertEqual((cm.exception.status, cm.exception.code), (0, "network_error"))
        self.assertTrue(is_veil_api_error(cm.exception, "network_error"))

    def test_an_answer_that_is_not_the_apis(self):
        fake = Fake(lambda m, p, b, h: (502, {"content-type": "text/html"}, b"<html>bad gateway</html>")
                    if m == "POST" else (200, {}, b"not json"))
        self.addCleanup(fake.close)
        with self.assertRaises(VeilApiError) as cm:
            self.client(fake).me()
        self.assertEqual(cm.exception.code, "bad_response")
        with self.assertRaises(VeilApiError) as cm:
            self.client(fake).spend("a", epsilon=1, purpose="p")
        self.assertEqual((cm.exception.status, cm.exception.code), (502, "http_502"))
        self.assertIn("bad gateway", cm.exception.message)

    def test_retry_after_as_seconds_or_a_date(self):
        self.assertEqual(retry_after_seconds("3"), 3)
        self.assertIsNone(retry_after_seconds(None))
        self.assertIsNone(retry_after_seconds("soon"))
        at = email.utils.formatdate(time.time() + 30, usegmt=True)
        self.assertAlmostEqual(retry_after_seconds(at), 30, delta=2)
        self.assertEqual(retry_after_seconds(email.utils.formatdate(0, usegmt=True)), 0)

    def test_credentials_and_urls_are_checked(self):
        with self.assertRaises(ValueError):
            Client("ftp://x", "k")
        with self.assertRaises(ValueError):
            Client("http://x")
        with self.assertRaises(ValueError):
            Client("http://x", "k", token="t")
        fake = Fake(lambda m, p, b, h: (200, {}, js({"org": "acme", "via": "oidc"})))
        self.addCleanup(fake.close)
        self.assertEqual(Client(fake.url + "/", token="eyJ.t").me().via, "oidc")
        self.assertEqual(fake.requests[0][2]["Authorization"], "Bearer eyJ.t")


class Stream(unittest.TestCase):
    def test_read_events(self):
        import io
        raw = (b": keep-alive\n\nid: 1\nevent: note\ndata: {\"a\":\ndata: 1}\r\n\r\n"
               b"event: end\ndata: {\"state\":\"succeeded\"}\n\nid: 9\ndata: cut")
        got = list(read_events(io.BytesIO(raw)))
        self.assertEqual([(e.id, e.event) for e in got], [("1", "note"), (None, "end")])
        self.assertEqual(got[0].data, "{\"a\":\n1}")

    def test_the_stream_is_reopened_after_the_last_event_and_each_event_passed_once(self):
        job = {"id": "j_1", "state": "succeeded", "result": {"summary": {"testAccuracy": 0.8}}}
        opened = []

        def h(m, path, b, hd):
            if path.startswith("/v1/jobs/j_1/events"):
                opened.append(path)
                assert hd.get("Accept") == "text/event-stream"

                def write(w):
                    if len(opened) == 1:  # two events, then the connection drops in the middle of a chunk
                        for chunk in (b'id: 1\nevent: note\ndata: {"at":"t1","kind":"note","message":"a"}\n\n',
                                      b'id: 2\nevent: train-epoch\ndata: {"at":"t2","kind":"train-epoch","epoch":1}\n\n'):
                            w.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        w.write(b"40\r\nid: 3\nevent: no")
                        w.flush()
                    else:  # a repeated event is passed on once
                        w.write(b'id: 2\nevent: train-epoch\ndata: {"at":"t2","kind":"train-epoch","epoch":1}\n\n')
                        w.write(b'id: 3\nevent: note\ndata: {"at":"t3","kind":"note","message":"b"}\n\n')
                        w.write(b'event: end\ndata: {"state":"succeeded","error":null}\n\n')
                        w.flush()
                chunked = {"transfer-encoding": "chunked"} if len(opened) == 1 else {}
                return 200, {"content-type": "text/event-stream", **chunked}, write
            return 200, {"content-type": "application/json"}, js(job)

        fake = Fake(h)
        self.addCleanup(fake.close)
        seen: List[JobProgress] = []
        done = Client(fake.url, "k").wait_for_job("j_1", seen.append, interval=0.05, timeout=10)
        self.assertEqual(done.state, "succeeded")
        self.assertEqual(done.summary["testAccuracy"], 0.8)
        self.assertEqual([(e.seq, e.kind, e.at) for e in seen],
                         [(1, "note", "t1"), (2, "train-epoch", "t2"), (3, "note", "t3")])
        self.assertEqual(seen[1].event, {"kind": "train-epoch", "epoch": 1})
        self.assertEqual(opened, ["/v1/jobs/j_1/events?after=0", "/v1/jobs/j_1/events?after=2"])

    def test_polling_and_its_timeout(self):
        fake = Fake(lambda m, p, b, h: (200, {}, js({"events": []} if "/events" in p else {"id": "j_2", "state": "running"})))
        self.addCleanup(fake.close)
        t = time.monotonic()
        with self.assertRaises(TimeoutError):
            Client(fake.url, "k").wait_for_job("j_2", mode="poll", interval=0.05, timeout=0.4)
        self.assertLess(time.monotonic() - t, 3)
        self.assertTrue(any("events?after=0" in p for _, p, _ in fake.requests))


class Models(unittest.TestCase):
    def test_unknown_fields_are_kept_and_missing_ones_are_none(self):
        page = AccountPage.from_json({"status": {"account": {"path": "acme/x", "epsilonLimit": 2, "color": "red"},
                                                 "epsilonSpent": 0.5},
                                      "spends": [{"id": 1, "purpose": "p", "newField": [1]}], "next": None,
                                      "extra": True})
        self.assertEqual(page.status.account.path, "acme/x")
        self.assertEqual(page.status.account.epsilon_limit, 2)
        self.assertEqual(page.status.account.raw["color"], "red")
        self.assertIsNone(page.status.account.accountant)
        self.assertEqual(page.spends[0].raw["newField"], [1])
        self.assertTrue(page.raw["extra"])
        self.assertEqual(AccountPage.from_json({}).spends, [])
        self.assertEqual(UploadedData.from_json({"name": "a", "bytes": 3}).size, 3)
        job = Job.from_json({"id": "j", "state": "failed", "error": {"code": "timeout", "message": "m"}})
        self.assertTrue(job.done)
        self.assertEqual((job.error["code"], job.files, job.summary), ("timeout", [], {}))
        self.assertEqual(job.to_dict()["id"], "j")


if __name__ == "__main__":
    unittest.main()

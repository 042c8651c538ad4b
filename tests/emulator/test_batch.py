"""Tests for the emulator's Batch API and Files API (scripts/fakegemini/batch.py):
the resumable upload, batch create/get/list/cancel/delete, the responses
file, per-line errors, batches that end FAILED or EXPIRED, the processing
delay and the submission counter.  Standard library only; loopback only.
"""

import json
import time
import unittest
import urllib.parse

from test_fake_gemini import KEY, MODEL, Fake, gem_body

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}},
          "required": ["name"]}


class Batches(unittest.TestCase):
    fake = None

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--batch-delay-s", "0.3", "--batch-page-max", "2")

    @classmethod
    def tearDownClass(cls):
        assert cls.fake.stop() == 0

    def call(self, method, path, body=None, headers=None):
        c = self.fake.conn()
        h = {"x-goog-api-key": KEY}
        h.update(headers or {})
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        c.close()
        return r, payload

    def upload(self, lines, name="input"):
        data = b"".join(json.dumps(x).encode() + b"\n" for x in lines)
        r, _ = self.call("POST", "/upload/v1beta/files", {"file": {"display_name": name}}, {
            "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(len(data)),
            "X-Goog-Upload-Header-Content-Type": "application/jsonl",
            "Content-Type": "application/json"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("X-Goog-Upload-Status"), "active")
        url = urllib.parse.urlsplit(r.getheader("X-Goog-Upload-URL"))
        r, body = self.call("POST", url.path + "?" + url.query, data, {
            "X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"})
        self.assertEqual(r.status, 200, body)
        self.assertEqual(r.getheader("X-Goog-Upload-Status"), "final")
        f = json.loads(body)["file"]
        self.assertEqual(f["sizeBytes"], str(len(data)))
        self.assertEqual(f["state"], "ACTIVE")
        return f["name"]

    def create(self, fid, display):
        r, body = self.call("POST", "/v1beta/models/%s:batchGenerateContent" % MODEL,
                            {"batch": {"display_name": display,
                                       "input_config": {"file_name": fid}}})
        self.assertEqual(r.status, 200, body)
        return json.loads(body)

    def wait_done(self, name):
        for _ in range(200):
            r, body = self.call("GET", "/v1beta/" + name)
            op = json.loads(body)
            if op.get("done"):
                return op
            time.sleep(0.05)
        self.fail("batch %s never ended" % name)

    def lines(self, prompts):
        return [{"key": str(i), "request": gem_body(p, schema=SCHEMA)}
                for i, p in enumerate(prompts)]

    def test_upload_create_poll_download(self):
        fid = self.upload(self.lines(["name: Ada", "name: Bob [[fake:500x1]]",
                                      "name: Cy [[fake:batch-missing]]",
                                      "name: Dee [[fake:schema-violation]]"]))
        op = self.create(fid, "t-basic")
        self.assertEqual(op["metadata"]["state"], "BATCH_STATE_PENDING")
        self.assertEqual(op["metadata"]["displayName"], "t-basic")
        self.assertFalse(op.get("done", False))
        op = self.wait_done(op["name"])
        self.assertEqual(op["metadata"]["state"], "BATCH_STATE_SUCCEEDED")
        rf = op["response"]["responsesFile"]
        self.assertEqual(op["metadata"]["output"]["responsesFile"], rf)
        self.assertEqual(op["metadata"]["batchStats"]["requestCount"], "4")
        r, data = self.call("GET", "/download/v1beta/%s:download?alt=media" % rf)
        self.assertEqual(r.status, 200)
        out = {o["key"]: o for o in map(json.loads, data.splitlines())}
        self.assertEqual(sorted(out), ["0", "1", "3"])
        self.assertIn("candidates", out["0"]["response"])
        self.assertEqual(out["1"]["error"]["code"], 500)
        self.assertIn("usageMetadata", out["3"]["response"])

    def test_per_line_fault_counts_attempts_across_batches(self):
        p = "name: Eve [[fake:503x1]]"
        for want in ("error", "response"):
            op = self.wait_done(self.create(self.upload(self.lines([p])), "t-again-" + want)
                                ["name"])
            _, data = self.call("GET", "/download/v1beta/%s:download?alt=media"
                                % op["response"]["responsesFile"])
            self.assertIn(want, json.loads(data.splitlines()[0]))

    def test_failed_and_expired(self):
        for d, state in (("batch-failedx1", "FAILED"), ("batch-expired", "EXPIRED")):
            fid = self.upload(self.lines(["name: X [[fake:%s]]" % d, "name: Y"]))
            op = self.wait_done(self.create(fid, "t-" + d)["name"])
            self.assertEqual(op["metadata"]["state"], "BATCH_STATE_" + state)
            self.assertNotIn("response", op)
        op = self.wait_done(self.create(self.upload(self.lines(
            ["name: X [[fake:batch-failedx1]]"])), "t-second")["name"])
        self.assertEqual(op["metadata"]["state"], "BATCH_STATE_SUCCEEDED")

    def test_cancel_list_delete_and_submissions(self):
        fid = self.upload(self.lines(["name: Zed"]))
        c = self.fake.conn()
        c.request("POST", "/_fake/config", body=json.dumps({"batch_delay_s": 60}))
        c.getresponse().read()
        ops = [self.create(fid, "t-list") for _ in range(2)]
        r, _ = self.call("POST", "/v1beta/%s:cancel" % ops[0]["name"])
        self.assertEqual(r.status, 200)
        op = self.wait_done(ops[0]["name"])
        self.assertEqual(op["metadata"]["state"], "BATCH_STATE_CANCELLED")
        names, token = [], ""
        while True:
            _, body = self.call("GET", "/v1beta/batches?pageSize=100&pageToken=" + token)
            page = json.loads(body)
            self.assertLessEqual(len(page["operations"]), 2)
            names += [o["name"] for o in page["operations"]]
            token = page.get("nextPageToken")
            if not token:
                break
        self.assertIn(ops[1]["name"], names)
        r, _ = self.call("DELETE", "/v1beta/" + ops[1]["name"])
        self.assertEqual(r.status, 200)
        r, _ = self.call("GET", "/v1beta/" + ops[1]["name"])
        self.assertEqual(r.status, 404)
        c.request("POST", "/_fake/config", body=json.dumps({"batch_delay_s": 0.3}))
        c.getresponse().read()
        c.request("GET", "/_fake/stats")
        st = json.loads(c.getresponse().read())["batch"]
        c.close()
        self.assertEqual(st["submissions"]["t-list"], 2)
        self.assertGreaterEqual(st["submissions_max"], 2)

    def test_key_required(self):
        r, body = self.call("GET", "/v1beta/batches", headers={"x-goog-api-key": "nope"})
        self.assertEqual(r.status, 400)
        self.assertEqual(json.loads(body)["error"]["status"], "INVALID_ARGUMENT")

    def test_bad_input_file_fails_the_batch(self):
        data = b"not json\n"
        r, _ = self.call("POST", "/upload/v1beta/files", {"file": {}}, {
            "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
            "X-Goog-Upload-Header-Content-Length": str(len(data))})
        url = urllib.parse.urlsplit(r.getheader("X-Goog-Upload-URL"))
        _, body = self.call("POST", url.path + "?" + url.query, data, {
            "X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"})
        op = self.wait_done(self.create(json.loads(body)["file"]["name"], "t-bad")["name"])
        self.assertEqual(op["metadata"]["state"], "BATCH_STATE_FAILED")
        self.assertIn("not JSON", op["error"]["message"])


if __name__ == "__main__":
    unittest.main()

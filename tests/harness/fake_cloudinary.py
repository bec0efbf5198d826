#!/usr/bin/env python3
"""A local fake Cloudinary for the requests lifeboat's cloudinary:// backend makes, checked
as the service checks them (Upload API (upload, chunked upload, destroy, rename), Admin API and private download, as documented at
cloudinary.com/documentation: upload_images#chunked_asset_upload, admin_api,
authentication_signatures). In-memory; Python 3 standard library only.

    fake_cloudinary.py PORT_FILE [--log LOG.jsonl] [--script SCRIPT.json]

It listens on 127.0.0.1 (a free port), writes the port to PORT_FILE (PORT_FILE.tmp, then
renamed) and logs every request as one JSON line: method, path, api (upload, chunk,
destroy, rename, admin, download), status, query, content_range, upload_id. SIGTERM stops it.

What it checks, answering as Cloudinary does ({"error": {"message": ...}}):
  - every Upload API request and download URL: api_key, a timestamp at most an hour old
    (400 "Stale request"), and the signature (FAKE_CLD_SIGNATURE_ALGORITHM, sha1 as on a
    new account, or sha256, over the sorted parameters
    but file, api_key, resource_type, cloud_name and signature, '&' in values as %26):
    401 "Invalid Signature ..." otherwise;
  - chunked uploads (X-Unique-Upload-Id and Content-Range "bytes a-b/total", total -1
    until the last chunk): chunks in order and contiguous (a chunk sent again is taken
    again), every non-final chunk at least FAKE_CLD_MIN_CHUNK bytes, the last ending at
    the total; the resource appears only when the last chunk arrives;
  - one request's file at most 100 MB; a resource at most FAKE_CLD_RAW_MAX_SIZE bytes;
  - overwrite=false keeps an existing resource and answers it with "existing": true;
  - Admin API requests: Basic auth KEY:SECRET (401 otherwise), X-FeatureRateLimit-*
    headers on every answer, paging with max_results (capped by FAKE_CLD_MAX_RESULTS)
    and next_cursor;
  - downloads: expires_at in the future (401 otherwise); Range honoured (206) unless
    FAKE_CLD_IGNORE_RANGE=1.

Environment: FAKE_CLD_CLOUD (lifeboat-test), FAKE_CLD_KEY (123456789012345),
FAKE_CLD_SECRET (fake-secret), FAKE_CLD_MIN_CHUNK (5242880, Cloudinary's 5 MB),
FAKE_CLD_RAW_MAX_SIZE (10485760, the free plan), FAKE_CLD_MAX_RESULTS (500),
FAKE_CLD_STORAGE_LIMIT (bytes; absent: /usage names no limit), FAKE_CLD_RATE_LIMIT
(Admin API calls an hour, 500).

The script scripts failures: {"rules": [RULE, ...]}, tried in order, the first that fires
acts. A rule: "api" (one of the api names above, or a list), "header" ({name: regex}),
"nth" (only the nth matching request, from 1), "times" (at most this many, default
unlimited), "action" ("respond": "status", "body" (JSON), "headers", where a header value
"+N" is the HTTP date N seconds from now; "drop": close without answering).
"""

import argparse
import base64
import email.utils
import hashlib
import http.server
import json
import os
import re
import signal
import socketserver
import sys
import threading
import time
import urllib.parse

CLOUD = os.environ.get("FAKE_CLD_CLOUD", "lifeboat-test")
KEY = os.environ.get("FAKE_CLD_KEY", "123456789012345")
SECRET = os.environ.get("FAKE_CLD_SECRET", "fake-secret")
MIN_CHUNK = int(os.environ.get("FAKE_CLD_MIN_CHUNK", str(5 * 1024 * 1024)))
RAW_MAX = int(os.environ.get("FAKE_CLD_RAW_MAX_SIZE", str(10 * 1024 * 1024)))
MAX_RESULTS = int(os.environ.get("FAKE_CLD_MAX_RESULTS", "500"))
STORAGE_LIMIT = os.environ.get("FAKE_CLD_STORAGE_LIMIT")
RATE_LIMIT = int(os.environ.get("FAKE_CLD_RATE_LIMIT", "500"))
IGNORE_RANGE = os.environ.get("FAKE_CLD_IGNORE_RANGE") == "1"
ALGORITHM = os.environ.get("FAKE_CLD_SIGNATURE_ALGORITHM", "sha1")  # the account's setting
MAX_REQUEST = 100 * 1024 * 1024

lock = threading.Lock()
resources = {}  # (type, public_id) -> {"data": bytes, "created_at": str, "version": int}
sessions = {}  # upload id -> {"public_id", "next", "last_start", "data": bytearray}
admin_calls = [0]
rules = []
matched = {}  # rule index -> requests matched
fired = {}  # rule index -> times fired
log_file = None


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def signature_ok(params, given):
    signed = {k: v for k, v in params.items()
              if k not in ("file", "api_key", "resource_type", "cloud_name", "signature") and v != ""}
    text = "&".join(f"{k}={v.replace('&', '%26')}" for k, v in sorted(signed.items())) + SECRET
    return given == hashlib.new(ALGORITHM, text.encode()).hexdigest(), text


def parse_multipart(body, content_type):
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not m:
        return None
    boundary = b"--" + m.group(1).encode()
    fields, file_data = {}, None
    for part in body.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        part = part[2:] if part.startswith(b"\r\n") else part
        head, _, value = part.partition(b"\r\n\r\n")
        if value.endswith(b"\r\n"):
            value = value[:-2]
        name = re.search(rb'name="([^"]*)"', head)
        if not name:
            continue
        if name.group(1) == b"file":
            file_data = value
        else:
            fields[name.group(1).decode()] = value.decode()
    return fields, file_data


class Reply(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def error(status, message):
    return Reply(status, {"error": {"message": message}})


def resource_json(rtype, public_id, r, existing=None):
    out = {"public_id": public_id, "version": r["version"], "resource_type": "raw",
           "type": rtype, "created_at": r["created_at"], "bytes": len(r["data"]),
           "etag": hashlib.md5(r["data"]).hexdigest(),
           "secure_url": f"https://res.cloudinary.com/{CLOUD}/raw/{rtype}/v{r['version']}/{public_id}"}
    if existing is not None:
        out["existing"] = existing
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        if raw is None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return status

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def classify(self, path):
        prefix = f"/v1_1/{CLOUD}/"
        if not path.startswith(prefix):
            return None
        rest = path[len(prefix):]
        if rest == "raw/upload":
            return "chunk" if self.headers.get("X-Unique-Upload-Id") else "upload"
        if rest == "raw/destroy":
            return "destroy"
        if rest == "raw/rename":
            return "rename"
        if rest == "raw/download":
            return "download"
        if rest == "usage" or rest.startswith("resources/"):
            return "admin"
        return None

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        api = self.classify(url.path)
        entry = {"method": self.command, "path": path, "api": api, "query": query,
                 "content_range": self.headers.get("Content-Range"),
                 "upload_id": self.headers.get("X-Unique-Upload-Id"), "bytes": length}
        status = 0
        try:
            rule = self.scripted(api)
            if rule is not None and rule.get("action") == "drop":
                entry["status"] = "dropped"
                self.close_connection = True
                return
            if rule is not None:
                headers = {k: (http_date(time.time() + int(v[1:])) if str(v).startswith("+") else v)
                           for k, v in rule.get("headers", {}).items()}
                status = self.send(rule.get("status", 500), rule.get("body", {"error": {"message": "scripted"}}),
                                   headers)
                return
            if api is None:
                raise error(404, f"no such endpoint {path}")
            if api == "admin":
                status = self.admin(path, query)
            elif api in ("upload", "chunk"):
                status = self.upload(body, api)
            elif api == "destroy":
                status = self.destroy(dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)))
            elif api == "rename":
                status = self.rename(dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)))
            else:
                status = self.download(query)
        except Reply as r:
            status = self.send(r.status, r.body, r.headers)
        finally:
            entry["status"] = entry.get("status", status)
            if log_file:
                with lock:
                    log_file.write(json.dumps(entry, sort_keys=True) + "\n")
                    log_file.flush()

    def scripted(self, api):
        with lock:
            for i, rule in enumerate(rules):
                apis = rule.get("api")
                if apis is not None and api not in (apis if isinstance(apis, list) else [apis]):
                    continue
                if any(not re.search(rx, self.headers.get(h) or "") for h, rx in rule.get("header", {}).items()):
                    continue
                matched[i] = matched.get(i, 0) + 1
                if "nth" in rule and matched[i] != rule["nth"]:
                    continue
                if "times" in rule and fired.get(i, 0) >= rule["times"]:
                    continue
                fired[i] = fired.get(i, 0) + 1
                return rule
        return None

    def check_signed(self, params):
        if params.get("api_key") != KEY:
            raise error(401, f"Unknown API key {params.get('api_key', '')}")
        try:
            ts = int(params.get("timestamp", ""))
        except ValueError:
            raise error(400, "Missing required parameter - timestamp")
        if ts < time.time() - 3600:
            raise error(400, f"Stale request - reported time is {ts} which is more than 1 hour ago")
        ok, text = signature_ok(params, params.get("signature", ""))
        if not ok:
            raise error(401, f"Invalid Signature {params.get('signature', '')}. String to sign - "
                             f"'{text[:-len(SECRET)]}'.")

    def upload(self, body, api):
        parsed = parse_multipart(body, self.headers.get("Content-Type"))
        if parsed is None:
            raise error(400, "Upload preset must be specified when using unsigned upload")
        fields, data = parsed
        if data is None:
            raise error(400, "Missing required parameter - file")
        self.check_signed(fields)
        if len(data) > MAX_REQUEST:
            raise error(413, f"Request too large. Got {len(data)}. Maximum is {MAX_REQUEST}.")
        public_id = fields.get("public_id")
        rtype = fields.get("type", "upload")
        if not public_id:
            raise error(400, "this fake wants a public_id")
        if api == "upload":
            return self.store(rtype, public_id, bytes(data), fields)
        upload_id = self.headers["X-Unique-Upload-Id"]
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(-1|\d+)", self.headers.get("Content-Range") or "")
        if not m:
            raise error(400, "Invalid Content-Range header")
        start, end, total = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if end - start + 1 != len(data):
            raise error(400, f"Content-Range covers {end - start + 1} bytes but the chunk has {len(data)}")
        final = total != -1
        if final and end + 1 != total:
            raise error(400, f"Content-Range total {total} but the chunk ends at {end + 1}")
        if not final and len(data) < MIN_CHUNK:
            raise error(400, f"Chunk size {len(data)} is below the minimum of {MIN_CHUNK} bytes")
        with lock:
            s = sessions.setdefault(upload_id, {"public_id": public_id, "next": 0, "last_start": None,
                                                "data": bytearray()})
            if s["public_id"] != public_id:
                raise error(400, "public_id differs from the upload's first chunk")
            if start == s["next"]:
                s["last_start"] = start
                s["data"] += data
                s["next"] = end + 1
            elif start == s["last_start"] and end + 1 == s["next"]:
                s["data"][start:] = data  # the same chunk again (a retry)
            else:
                raise error(400, f"Chunk out of order: bytes {start}-{end}, expected a chunk at {s['next']}")
            if not final:
                return self.send(200, {"done": False, "bytes": s["next"]})
            del sessions[upload_id]
            whole = bytes(s["data"])
        return self.store(rtype, public_id, whole, fields)

    def store(self, rtype, public_id, data, fields):
        if len(data) > RAW_MAX:
            raise error(400, f"File size too large. Got {len(data)}. Maximum is {RAW_MAX}.")
        with lock:
            old = resources.get((rtype, public_id))
            if old is not None and fields.get("overwrite", "true") == "false":
                return self.send(200, resource_json(rtype, public_id, old, existing=True))
            r = {"data": data, "version": int(time.time()),
                 "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            resources[(rtype, public_id)] = r
            return self.send(200, resource_json(rtype, public_id, r, existing=False))

    def destroy(self, params):
        self.check_signed(params)
        with lock:
            gone = resources.pop((params.get("type", "upload"), params.get("public_id", "")), None)
        return self.send(200, {"result": "ok" if gone is not None else "not found"})

    def rename(self, params):
        self.check_signed(params)
        rtype = params.get("type", "upload")
        src, dst = (rtype, params.get("from_public_id", "")), (rtype, params.get("to_public_id", ""))
        with lock:
            if src not in resources:
                raise error(404, f"Resource not found - {src[1]}")
            if dst in resources and params.get("overwrite") != "true":
                raise error(409, f"Resource already exists - {dst[1]}")
            resources[dst] = resources.pop(src)
            return self.send(200, resource_json(rtype, dst[1], resources[dst]))

    def admin(self, path, query):
        auth = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        now = time.time()
        with lock:
            admin_calls[0] += 1
            remaining = max(0, RATE_LIMIT - admin_calls[0])
        headers = {"X-FeatureRateLimit-Limit": str(RATE_LIMIT),
                   "X-FeatureRateLimit-Remaining": str(remaining),
                   "X-FeatureRateLimit-Reset": http_date(now - now % 3600 + 3600)}
        if auth != want:
            raise Reply(401, {"error": {"message": "Invalid credentials"}}, headers)
        if remaining == 0:
            raise Reply(420, {"error": {"message": "Rate Limit Exceeded"}}, headers)
        rest = path[len(f"/v1_1/{CLOUD}/"):]
        if rest == "usage":
            with lock:
                used = sum(len(r["data"]) for r in resources.values())
            storage = {"usage": used, "credits_usage": 0}
            if STORAGE_LIMIT:
                storage["limit"] = int(STORAGE_LIMIT)
            return self.send(200, {"plan": "Free", "storage": storage, "resources": len(resources),
                                   "media_limits": {"image_max_size_bytes": RAW_MAX,
                                                    "raw_max_size": RAW_MAX,
                                                    "video_max_size_bytes": 100 * 1024 * 1024}},
                             headers)
        parts = rest.split("/", 3)  # resources, raw, TYPE[, PUBLIC_ID]
        if len(parts) < 3 or parts[1] != "raw":
            raise Reply(404, {"error": {"message": f"no such endpoint {path}"}}, headers)
        rtype = parts[2]
        if len(parts) == 4:
            with lock:
                r = resources.get((rtype, parts[3]))
            if r is None:
                raise Reply(404, {"error": {"message": f"Resource not found - {parts[3]}"}}, headers)
            return self.send(200, resource_json(rtype, parts[3], r), headers)
        prefix = query.get("prefix", "")
        n = min(int(query.get("max_results", "10")), MAX_RESULTS)
        start = int(base64.b64decode(query["next_cursor"]).decode()) if query.get("next_cursor") else 0
        with lock:
            ids = sorted(p for (t, p) in resources if t == rtype and p.startswith(prefix))
            page = [resource_json(rtype, p, resources[(rtype, p)]) for p in ids[start:start + n]]
        out = {"resources": page}
        if start + n < len(ids):
            out["next_cursor"] = base64.b64encode(str(start + n).encode()).decode()
        return self.send(200, out, headers)

    def download(self, query):
        self.check_signed(query)
        try:
            if int(query.get("expires_at", "0")) < time.time():
                raise error(401, "Resource expired")
        except ValueError:
            raise error(400, "Invalid expires_at")
        with lock:
            r = resources.get((query.get("type", "upload"), query.get("public_id", "")))
        if r is None:
            raise error(404, f"Resource not found - {query.get('public_id', '')}")
        data = r["data"]
        rng = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if rng is None or IGNORE_RANGE:
            return self.send(200, None, {"Content-Type": "application/octet-stream"}, raw=data)
        start = int(rng.group(1))
        end = min(int(rng.group(2)) if rng.group(2) else len(data) - 1, len(data) - 1)
        if start >= len(data):
            return self.send(416, None, {"Content-Range": f"bytes */{len(data)}"}, raw=b"")
        return self.send(206, None, {"Content-Range": f"bytes {start}-{end}/{len(data)}",
                                     "Content-Type": "application/octet-stream"}, raw=data[start:end + 1])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global log_file, rules
    ap = argparse.ArgumentParser()
    ap.add_argument("port_file")
    ap.add_argument("--log")
    ap.add_argument("--script")
    args = ap.parse_args()
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            rules = json.load(f).get("rules", [])
    if args.log:
        log_file = open(args.log, "a", encoding="utf-8")
    server = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

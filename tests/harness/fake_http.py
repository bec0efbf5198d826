#!/usr/bin/env python3
"""A scripted fake HTTP/1.1 server for the failures a real S3 server will not produce on
demand: a 503 on the second upload of part 2, a 429 with Retry-After, a 200 whose body is
an S3 <Error>, a connection dropped mid-upload, a download cut short. Requests that no rule
takes are served by a small in-memory S3 that checks no signatures. Every request is
logged as one JSON line, so a test can count requests and see what was sent.

    fake_http.py SCRIPT.json [PORT_FILE] [--log LOG.jsonl] [--port N] [--host 127.0.0.1]

It listens on loopback (port 0: any free port) and prints the port as the first line of
its standard output, and writes it to PORT_FILE when given (PORT_FILE.tmp, then renamed).
SIGTERM or SIGINT stops it. Python 3 standard library only.

The script (tests/harness/npm/README.md, "fake_http.py", has the full reference):

    {
      "buckets": ["lifeboat-test"],            # buckets that exist (default: this one)
      "objects": {"lifeboat-test/a/b": "text"},# objects there at start (optional)
      "min_part_size": 5242880,                # multipart: least size of all parts but the last
      "accept_chunked": false,                 # false: Transfer-Encoding is 501, as on AWS
      "rules": [                               # tried in order; the first that fires acts
        {"name": "part 2 fails once",
         "method": "PUT",                      # or a list; any when absent
         "path": "\\\\.zst$",                  # regex searched in the path as sent (percent-encoded)
         "query": "partNumber=2",              # substring(s) of the raw query string
         "params": {"uploadId": null},         # decoded query parameters: value, or null = present
         "header": {"content-type": "xml"},    # regex searched in each named request header
         "nth": 2,                             # only the 2nd request that matched the above (or a list)
         "times": 1,                           # fire at most this many times
         "delay": 0.5,                         # seconds to wait before acting
         "action": "respond", "status": 503, "headers": {"Retry-After": "1"},
         "error_code": "SlowDown", "error_message": "Please reduce your request rate."}
      ]
    }

Actions: "respond" (status, headers, body or error_code/error_message for an S3 XML error
body; "close": true closes the connection after it), "drop" (read "after_bytes" bytes of
the request body, 0 by default, then close without an answer), "truncate" (send the answer
the in-memory S3, or "status"/"body" if given, would send, with its full Content-Length,
but only "after_bytes" bytes of its body, then close), "pass" (the in-memory S3 answers;
with "delay", late). "rst": true makes "drop" and "truncate" close with a TCP reset.
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def xml_escape(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def key_order(k):
    return k.encode("utf-8")


class Reply:
    def __init__(self, status, body=b"", headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = dict(headers or {})
        self.head_only = False  # HEAD: Content-Length of the body, no body


def s3_error(status, code, message, **detail):
    extra = "".join(f"<{k}>{xml_escape(v)}</{k}>" for k, v in detail.items())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{xml_escape(code)}</Code>'
            f"<Message>{xml_escape(message)}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>")
    return Reply(status, body, {"Content-Type": "application/xml"})


def xml_reply(body, status=200):
    return Reply(status, '<?xml version="1.0" encoding="UTF-8"?>\n' + body, {"Content-Type": "application/xml"})


class Obj:
    def __init__(self, data, content_type="binary/octet-stream", etag=None, meta=None):
        self.data = data
        self.content_type = content_type
        self.etag = etag or hashlib.md5(data).hexdigest()
        self.mtime = time.time()
        self.meta = meta or {}


class S3:
    """The in-memory S3: path style (/bucket/key) or virtual host (bucket.s3.localhost)."""

    def __init__(self, script):
        self.lock = threading.Lock()
        self.buckets = {b: {} for b in script.get("buckets", ["lifeboat-test"])}
        self.uploads = {}  # id -> {"bucket", "key", "parts": {n: Obj}, "initiated", "content_type"}
        self.min_part = int(script.get("min_part_size", 5 * 1024 * 1024))
        self.accept_chunked = bool(script.get("accept_chunked", False))
        for path, body in script.get("objects", {}).items():
            bucket, _, key = path.partition("/")
            self.buckets.setdefault(bucket, {})[key] = Obj(body.encode("utf-8") if isinstance(body, str) else bytes(body))

    def handle(self, req):
        if req.chunked and not self.accept_chunked:
            return s3_error(501, "NotImplemented", "A header you provided implies functionality that is not implemented",
                            Header="Transfer-Encoding")
        bucket, key = req.bucket, req.key
        q = req.params
        m = req.method
        with self.lock:
            if bucket is None:
                if m == "GET":
                    items = "".join(f"<Bucket><Name>{xml_escape(b)}</Name><CreationDate>{iso(0)}</CreationDate></Bucket>"
                                    for b in sorted(self.buckets))
                    return xml_reply(f'<ListAllMyBucketsResult xmlns="{S3_NS}"><Owner><ID>fake</ID></Owner>'
                                     f"<Buckets>{items}</Buckets></ListAllMyBucketsResult>")
                return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
            if bucket not in self.buckets:
                return s3_error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
            objects = self.buckets[bucket]
            if key == "":
                if m in ("GET", "HEAD") and "uploads" in q:
                    return self.list_uploads(bucket, q)
                if m in ("GET", "HEAD"):
                    return self.list_objects(bucket, objects, q)
                if m == "POST" and "delete" in q:
                    return self.delete_objects(objects, req.body)
                if m == "PUT":
                    return Reply(200)
                return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
            if m == "POST" and "uploads" in q:
                uid = uuid.uuid4().hex + uuid.uuid4().hex
                self.uploads[uid] = {"bucket": bucket, "key": key, "parts": {}, "initiated": time.time(),
                                     "content_type": req.header("content-type") or "binary/octet-stream"}
                return xml_reply(f'<InitiateMultipartUploadResult xmlns="{S3_NS}"><Bucket>{xml_escape(bucket)}</Bucket>'
                                 f"<Key>{xml_escape(key)}</Key><UploadId>{uid}</UploadId></InitiateMultipartUploadResult>")
            if "uploadId" in q:
                up = self.uploads.get(q["uploadId"])
                if up is None or up["bucket"] != bucket or up["key"] != key:
                    return s3_error(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be "
                                    "invalid, or the upload may have been aborted or completed.", UploadId=q["uploadId"])
                if m == "PUT" and "partNumber" in q:
                    if req.content_length is None and not req.chunked:
                        return s3_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
                    try:
                        n = int(q["partNumber"])
                    except ValueError:
                        n = 0
                    if not 1 <= n <= 10000:
                        return s3_error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, "
                                        "inclusive", ArgumentName="partNumber", ArgumentValue=q["partNumber"])
                    part = Obj(req.body)
                    up["parts"][n] = part
                    return Reply(200, b"", {"ETag": f'"{part.etag}"'})
                if m == "POST":
                    return self.complete(bucket, key, q["uploadId"], up, req.body)
                if m == "DELETE":
                    del self.uploads[q["uploadId"]]
                    return Reply(204)
                return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
            if m == "PUT":
                if "x-amz-copy-source" in req.headers:
                    return s3_error(501, "NotImplemented", "fake_http.py does not copy objects")
                if req.content_length is None and not req.chunked:
                    return s3_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
                md5 = req.header("content-md5")
                if md5 and base64.b64encode(hashlib.md5(req.body).digest()).decode() != md5:
                    return s3_error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
                if req.sha256_ok is False:
                    return s3_error(400, "XAmzContentSHA256Mismatch",
                                    "The provided 'x-amz-content-sha256' header does not match what was computed.")
                meta = {k: v for k, v in req.headers.items() if k.startswith("x-amz-meta-")}
                o = Obj(req.body, req.header("content-type") or "binary/octet-stream", meta=meta)
                objects[key] = o
                return Reply(200, b"", {"ETag": f'"{o.etag}"'})
            if m in ("GET", "HEAD"):
                o = objects.get(key)
                if o is None:
                    r = s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
                    r.head_only = m == "HEAD"
                    return r
                r = self.get(o, req)
                r.head_only = m == "HEAD"
                return r
            if m == "DELETE":
                objects.pop(key, None)
                return Reply(204)
            return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def get(self, o, req):
        headers = {"ETag": f'"{o.etag}"', "Last-Modified": http_date(o.mtime), "Content-Type": o.content_type,
                   "Accept-Ranges": "bytes", **o.meta}
        im = req.header("if-match")
        if im and im.strip() not in ("*", f'"{o.etag}"', o.etag):
            return s3_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                            Condition="If-Match")
        inm = req.header("if-none-match")
        if inm and inm.strip() in ("*", f'"{o.etag}"', o.etag):
            return Reply(304, b"", {"ETag": f'"{o.etag}"'})
        size = len(o.data)
        rng = req.header("range")
        mt = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip()) if rng else None
        if mt and (mt.group(1) or mt.group(2)):
            a, b = mt.group(1), mt.group(2)
            if a == "":
                start, end = max(0, size - int(b)), size - 1
            else:
                start, end = int(a), min(int(b), size - 1) if b else size - 1
            if start >= size or start > end:
                return s3_error(416, "InvalidRange", "The requested range is not satisfiable",
                                RangeRequested=rng, ActualObjectSize=size)
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return Reply(206, o.data[start:end + 1], headers)
        return Reply(200, o.data, headers)

    def list_objects(self, bucket, objects, q):
        v2 = q.get("list-type") == "2"
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        url = q.get("encoding-type") == "url"
        try:
            max_keys = min(1000, int(q.get("max-keys", "1000")))
            if max_keys < 0:
                raise ValueError
        except ValueError:
            return s3_error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range",
                            ArgumentName="max-keys", ArgumentValue=q.get("max-keys"))
        after = ""
        if v2 and q.get("continuation-token"):
            try:
                raw = base64.b64decode(q["continuation-token"], validate=True)
                if raw[:2] != b"\xfb\xff":
                    raise ValueError
                after = raw[2:].decode("utf-8")
            except ValueError:
                return s3_error(400, "InvalidArgument", "The continuation token provided is incorrect",
                                ArgumentName="continuation-token")
        elif v2:
            after = q.get("start-after", "")
        else:
            after = q.get("marker", "")
        items = []  # (sort key, "key"|"prefix", value)
        seen = set()
        for k in sorted(objects, key=key_order):
            if not k.startswith(prefix):
                continue
            if delim:
                i = k.find(delim, len(prefix))
                if i >= 0:
                    p = k[:i + len(delim)]
                    if p not in seen:
                        seen.add(p)
                        items.append((p, "prefix", p))
                    continue
            items.append((k, "key", k))
        items = [it for it in items if key_order(it[0]) > key_order(after)]
        page, truncated = items[:max_keys], len(items) > max_keys
        enc = (lambda s: urllib.parse.quote(s, safe="/")) if url else (lambda s: s)
        out = [f'<ListBucketResult xmlns="{S3_NS}"><Name>{xml_escape(bucket)}</Name>'
               f"<Prefix>{xml_escape(enc(prefix))}</Prefix>"]
        if v2:
            out.append(f"<KeyCount>{len(page)}</KeyCount>")
            if q.get("continuation-token"):
                out.append(f"<ContinuationToken>{xml_escape(q['continuation-token'])}</ContinuationToken>")
            if q.get("start-after"):
                out.append(f"<StartAfter>{xml_escape(enc(q['start-after']))}</StartAfter>")
            if truncated:
                token = base64.b64encode(b"\xfb\xff" + page[-1][0].encode("utf-8")).decode()
                out.append(f"<NextContinuationToken>{xml_escape(token)}</NextContinuationToken>")
        else:
            out.append(f"<Marker>{xml_escape(enc(after))}</Marker>")
            if truncated:
                out.append(f"<NextMarker>{xml_escape(enc(page[-1][0]))}</NextMarker>")
        out.append(f"<MaxKeys>{max_keys}</MaxKeys>")
        if delim:
            out.append(f"<Delimiter>{xml_escape(enc(delim))}</Delimiter>")
        if url:
            out.append("<EncodingType>url</EncodingType>")
        out.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        for _, kind, v in page:
            if kind == "key":
                o = objects[v]
                out.append(f"<Contents><Key>{xml_escape(enc(v))}</Key><LastModified>{iso(o.mtime)}</LastModified>"
                           f"<ETag>&quot;{o.etag}&quot;</ETag><Size>{len(o.data)}</Size>"
                           f"<StorageClass>STANDARD</StorageClass></Contents>")
        for _, kind, v in page:
            if kind == "prefix":
                out.append(f"<CommonPrefixes><Prefix>{xml_escape(enc(v))}</Prefix></CommonPrefixes>")
        out.append("</ListBucketResult>")
        return xml_reply("".join(out))

    def list_uploads(self, bucket, q):
        prefix = q.get("prefix", "")
        km = q.get("key-marker", "")
        im = q.get("upload-id-marker", "") if km else ""
        try:
            mx = min(1000, int(q.get("max-uploads", "1000")))
        except ValueError:
            return s3_error(400, "InvalidArgument", "max-uploads must be an integer")
        ups = sorted(((u["key"], uid, u) for uid, u in self.uploads.items()
                      if u["bucket"] == bucket and u["key"].startswith(prefix)),
                     key=lambda t: (key_order(t[0]), t[2]["initiated"], t[1]))
        if km:
            def later(t):
                if key_order(t[0]) != key_order(km):
                    return key_order(t[0]) > key_order(km)
                if not im:
                    return False
                ids = [x[1] for x in ups if x[0] == km]
                return im in ids and ids.index(t[1]) > ids.index(im)
            ups = [t for t in ups if later(t)]
        page, truncated = ups[:mx], len(ups) > mx
        out = [f'<ListMultipartUploadsResult xmlns="{S3_NS}"><Bucket>{xml_escape(bucket)}</Bucket>'
               f"<KeyMarker>{xml_escape(km)}</KeyMarker><UploadIdMarker>{xml_escape(im)}</UploadIdMarker>"]
        if page:
            out.append(f"<NextKeyMarker>{xml_escape(page[-1][0])}</NextKeyMarker>"
                       f"<NextUploadIdMarker>{page[-1][1]}</NextUploadIdMarker>")
        out.append(f"<Prefix>{xml_escape(prefix)}</Prefix><MaxUploads>{mx}</MaxUploads>"
                   f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        for key, uid, u in page:
            out.append(f"<Upload><Key>{xml_escape(key)}</Key><UploadId>{uid}</UploadId>"
                       f"<Initiator><ID>fake</ID></Initiator><Owner><ID>fake</ID></Owner>"
                       f"<StorageClass>STANDARD</StorageClass><Initiated>{iso(u['initiated'])}</Initiated></Upload>")
        out.append("</ListMultipartUploadsResult>")
        return xml_reply("".join(out))

    def complete(self, bucket, key, uid, up, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return s3_error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                            "against our published schema.")
        parts = []
        for p in root.iter():
            if p.tag.rsplit("}", 1)[-1] != "Part":
                continue
            fields = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in p}
            try:
                parts.append((int(fields.get("PartNumber", "")), fields.get("ETag", "").strip().strip('"')))
            except ValueError:
                return s3_error(400, "MalformedXML", "A PartNumber is not a number.")
        if not parts:
            return s3_error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                            "against our published schema.")
        for i, (n, etag) in enumerate(parts):
            if i and n <= parts[i - 1][0]:
                return s3_error(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts "
                                "list must be specified in order by part number.")
            part = up["parts"].get(n)
            if part is None or part.etag != etag:
                return s3_error(400, "InvalidPart", "One or more of the specified parts could not be found.  The part "
                                "may not have been uploaded, or the specified entity tag may not match the part's "
                                "entity tag.", UploadId=uid, PartNumber=n, ETag=etag)
            if i < len(parts) - 1 and len(part.data) < self.min_part:
                return s3_error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                                ProposedSize=len(part.data), MinSizeAllowed=self.min_part, PartNumber=n)
        data = b"".join(up["parts"][n].data for n, _ in parts)
        etag = hashlib.md5(b"".join(bytes.fromhex(up["parts"][n].etag) for n, _ in parts)).hexdigest() + f"-{len(parts)}"
        self.buckets[bucket][key] = Obj(data, up["content_type"], etag=etag)
        del self.uploads[uid]
        return xml_reply(f'<CompleteMultipartUploadResult xmlns="{S3_NS}"><Location>/{xml_escape(bucket)}/'
                         f"{xml_escape(key)}</Location><Bucket>{xml_escape(bucket)}</Bucket><Key>{xml_escape(key)}</Key>"
                         f"<ETag>&quot;{etag}&quot;</ETag></CompleteMultipartUploadResult>")

    def delete_objects(self, objects, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return s3_error(400, "MalformedXML", "The XML you provided was not well-formed.")
        done = []
        for o in root.iter():
            if o.tag.rsplit("}", 1)[-1] == "Object":
                for c in o:
                    if c.tag.rsplit("}", 1)[-1] == "Key" and c.text:
                        objects.pop(c.text, None)
                        done.append(f"<Deleted><Key>{xml_escape(c.text)}</Key></Deleted>")
        return xml_reply(f'<DeleteResult xmlns="{S3_NS}">{"".join(done)}</DeleteResult>')


class Rule:
    def __init__(self, index, spec):
        self.index = index
        self.spec = spec
        self.name = spec.get("name", f"rule {index}")
        m = spec.get("method")
        self.methods = None if m is None else {x.upper() for x in ([m] if isinstance(m, str) else m)}
        self.path = re.compile(spec["path"]) if "path" in spec else None
        qs = spec.get("query")
        self.query = [] if qs is None else ([qs] if isinstance(qs, str) else list(qs))
        self.params = spec.get("params", {})
        self.header = {k.lower(): re.compile(v) for k, v in spec.get("header", {}).items()}
        nth = spec.get("nth")
        self.nth = None if nth is None else set([nth] if isinstance(nth, int) else nth)
        self.times = spec.get("times")
        self.action = spec.get("action", "respond")
        if self.action not in ("respond", "drop", "truncate", "pass"):
            raise ValueError(f"{self.name}: unknown action '{self.action}'")
        self.seen = 0
        self.fired = 0

    def matches(self, req):
        if self.methods is not None and req.method not in self.methods:
            return False
        if self.path is not None and not self.path.search(req.path):
            return False
        if any(s not in req.query for s in self.query):
            return False
        for k, v in self.params.items():
            if k not in req.params or (v is not None and req.params[k] != str(v)):
                return False
        for k, rx in self.header.items():
            if k not in req.headers or not rx.search(req.headers[k]):
                return False
        return True


class Request:
    def __init__(self, handler):
        self.method = handler.command.upper()
        target = handler.path
        if target.startswith("http://") or target.startswith("https://"):
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        self.path, _, self.query = target.partition("?")
        self.params = dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))
        self.headers = {}
        for k, v in handler.headers.items():
            k = k.lower()
            self.headers[k] = f"{self.headers[k]}, {v}" if k in self.headers else v
        cl = self.headers.get("content-length")
        self.content_length = int(cl) if cl is not None and cl.strip().isdigit() else None
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self.body = b""
        self.sha256_ok = None
        host = self.headers.get("host", "").rsplit(":", 1)[0] if "]" not in self.headers.get("host", "") else ""
        vh = re.fullmatch(r"(.+)\.s3\.localhost", host)
        p = urllib.parse.unquote(self.path)
        if vh:
            self.bucket, self.key = vh.group(1), p[1:]
        else:
            parts = p.lstrip("/").split("/", 1)
            self.bucket = parts[0] or None
            self.key = parts[1] if len(parts) > 1 else ""

    def header(self, name):
        return self.headers.get(name)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_http.py"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_http: " + (fmt % args) + "\n")

    # one method for every verb
    def do_any(self):
        srv = self.server
        req = Request(self)
        entry = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
                 "method": req.method, "path": req.path, "query": req.query, "headers": req.headers,
                 "content_length": req.content_length, "chunked": req.chunked}
        rule = None
        with srv.lock:
            srv.seq += 1
            entry["seq"] = srv.seq
            for r in srv.rules:
                if r.matches(req):
                    r.seen += 1
                    if (rule is None and (r.nth is None or r.seen in r.nth)
                            and (r.times is None or r.fired < r.times)):
                        r.fired += 1
                        rule = r
        spec = rule.spec if rule else {}
        if rule:
            entry["rule"] = rule.name
        # Each request is logged before the client can see its answer (or the connection
        # closing), so a test that counts requests after its client returned counts them all.
        logged = False
        try:
            if spec.get("delay"):
                time.sleep(float(spec["delay"]))
            if rule and rule.action == "drop":
                n = int(spec.get("after_bytes", 0))
                got = self.read_body(req, limit=n)
                entry.update(body_length=got, outcome=f"dropped after {got} request body bytes")
                srv.log(entry)
                logged = True
                self.close_socket(spec.get("rst", False))
                return
            self.read_body(req)
            entry["body_length"] = len(req.body)
            entry["body_sha256"] = hashlib.sha256(req.body).hexdigest()
            declared = req.headers.get("x-amz-content-sha256", "")
            if re.fullmatch(r"[0-9a-fA-F]{64}", declared):
                req.sha256_ok = declared.lower() == entry["body_sha256"]
                entry["payload_hash_ok"] = req.sha256_ok
            if rule and rule.action == "respond":
                reply = self.scripted(spec)
                reply.head_only = req.method == "HEAD"
            elif rule and rule.action == "truncate" and ("status" in spec or "body" in spec):
                reply = self.scripted(spec)
            else:
                reply = srv.s3.handle(req)
            cut = int(spec.get("after_bytes", 0)) if rule and rule.action == "truncate" else None
            full = 0 if reply.head_only or reply.status in (204, 304) else len(reply.body)
            entry["status"] = reply.status
            entry["response_length"] = full if cut is None else min(cut, full)
            if cut is not None:
                entry["outcome"] = f"truncated: {min(cut, full)} of {full} body bytes, then closed"
            elif rule and rule.action == "respond":
                entry["outcome"] = f"scripted {reply.status}"
            else:
                entry["outcome"] = f"s3 {reply.status}"
            srv.log(entry)
            logged = True
            self.send(reply, cut)
            if cut is not None:
                self.close_socket(spec.get("rst", False))
            elif rule and rule.action == "respond" and spec.get("close"):
                self.close_connection = True
        except (ConnectionError, socket.timeout, OSError) as e:
            self.close_connection = True
            if not logged:
                entry.setdefault("body_length", len(req.body))
                entry["outcome"] = f"connection error: {e}"
                srv.log(entry)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_any

    def read_body(self, req, limit=None):
        """Reads the request body (all of it, or at most `limit` bytes); returns bytes read."""
        chunks, got = [], 0
        if req.chunked:
            while limit is None or got < limit:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("the client closed mid chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                want = size if limit is None else min(size, limit - got)
                data = self.rfile.read(want)
                chunks.append(data)
                got += len(data)
                if len(data) < want:
                    raise ConnectionError("the client closed mid chunk")
                if want == size:
                    self.rfile.readline(65537)
        elif req.content_length:
            want = req.content_length if limit is None else min(limit, req.content_length)
            while got < want:
                data = self.rfile.read(min(65536, want - got))
                if not data:
                    raise ConnectionError(f"the client closed after {got} of {req.content_length} body bytes")
                chunks.append(data)
                got += len(data)
        req.body = b"".join(chunks)
        return got

    def scripted(self, spec):
        status = int(spec.get("status", 200))
        headers = dict(spec.get("headers", {}))
        if "error_code" in spec:
            r = s3_error(status, spec["error_code"], spec.get("error_message", spec["error_code"]))
            r.headers.update(headers)
            return r
        return Reply(status, spec.get("body", ""), headers)

    def send(self, reply, cut=None):
        self.send_response(reply.status)
        hdrs = {k.lower(): (k, v) for k, v in reply.headers.items()}
        hdrs.setdefault("x-amz-request-id", ("x-amz-request-id", uuid.uuid4().hex[:16].upper()))
        hdrs.setdefault("content-length", ("Content-Length", str(len(reply.body))))
        for k, v in hdrs.values():
            self.send_header(k, str(v))
        if cut is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.head_only or reply.status in (204, 304):
            return 0
        body = reply.body if cut is None else reply.body[:cut]
        self.wfile.write(body)
        self.wfile.flush()
        return len(body)

    def close_socket(self, rst):
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, script, log_path, verbose):
        super().__init__(addr, Handler)
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.seq = 0
        self.s3 = S3(script)
        self.rules = [Rule(i, r) for i, r in enumerate(script.get("rules", []))]
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.verbose = verbose

    def log(self, entry):
        if self.log_file is None:
            return
        with self.log_lock:
            self.log_file.write(json.dumps(entry, sort_keys=True) + "\n")
            self.log_file.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("script", help="the JSON script")
    ap.add_argument("port_file", nargs="?", help="write the port here too")
    ap.add_argument("--log", help="append one JSON line per request here")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    with open(a.script, encoding="utf-8") as f:
        script = json.load(f)
    if isinstance(script, list):
        script = {"rules": script}
    srv = Server((a.host, a.port), script, a.log, a.verbose)
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(a.port_file + ".tmp", a.port_file)
    print(port, flush=True)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()

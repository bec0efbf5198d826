#!/usr/bin/env node
// tests/harness/s3rver.js: starts s3rver (tests/harness/npm, pinned by its lock file) on
// loopback for one test, with credentials of the test's choosing instead of s3rver's
// built-in S3RVER/S3RVER, and buckets created before it listens.
//
//   NODE_OPTIONS=--openssl-legacy-provider node tests/harness/s3rver.js \
//     --directory DIR --access-key-id ID --secret SECRET --bucket NAME [--bucket NAME2] \
//     [--port N (default 0: any free port)] [--address 127.0.0.1] [--port-file FILE] \
//     [--service-endpoint localhost] [--stock] [--verbose]
//
// Once it listens it prints "s3rver listening on ADDRESS:PORT" and, with --port-file,
// writes PORT to FILE (FILE.tmp, then renamed). SIGTERM or SIGINT stops it.
//
// s3rver verifies SigV4 (header and presigned), but where it is laxer than AWS S3 or
// wrong, a backend that is wrong too would pass. Unless --stock is given, this launcher
// makes it answer as AWS does (each one is shown against stock s3rver in
// tests/harness/npm/README.md, "What s3rver does", and checked by tests/harness/s3rver_check.sh):
//   A. a request with no signature is refused (403 AccessDenied), not served anonymously;
//   B. a request with Transfer-Encoding is refused (501 NotImplemented), a PUT without
//      Content-Length too (411 MissingContentLength);
//   C. a PUT whose x-amz-content-sha256 (hex) or Content-MD5 does not match the body
//      stored is refused (400 XAmzContentSHA256Mismatch / BadDigest) and stores nothing;
//   D. a PUT cut off mid-body leaves the previous object (or none), never a truncated one;
//   E. ListObjects without a delimiter lists in UTF-8 byte order, so paging with max-keys
//      and continuation-token neither skips nor repeats keys;
//   F. keys with & < > ' in a listing are escaped once, not twice;
//   G. AbortMultipartUpload (DELETE ?uploadId) works (stock: 405) and ListMultipartUploads
//      (GET ?uploads, with prefix, key-marker, upload-id-marker, max-uploads) works (stock: 501);
//   H. UploadPart/Complete on an unknown upload id is 404 NoSuchUpload; Complete checks
//      the parts' ETags (InvalidPart), their order (InvalidPartOrder) and that every part
//      but the last has at least 5 MiB (EntityTooSmall), and the object's ETag is AWS's
//      multipart form "md5-of-part-md5s-N" instead of the whole object's MD5;
//   I. SigV4 is checked against the path and query as sent: stock s3rver always puts the
//      bucket in the canonical URI, so every correctly signed virtual-host-style request
//      (BUCKET.s3.localhost) fails with SignatureDoesNotMatch, and it encodes query values
//      with encodeURIComponent, so a correctly signed value with ! ' ( ) * fails too.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { AsyncLocalStorage } = require('async_hooks');
const { Transform, pipeline } = require('stream');
const { parseArgs } = require('util');

const { values: opts } = parseArgs({
  options: {
    directory: { type: 'string' },
    'access-key-id': { type: 'string' },
    secret: { type: 'string' },
    bucket: { type: 'string', multiple: true, default: [] },
    port: { type: 'string', default: '0' },
    address: { type: 'string', default: '127.0.0.1' },
    'port-file': { type: 'string' },
    'service-endpoint': { type: 'string', default: 'localhost' },
    stock: { type: 'boolean', default: false },
    'tls-key': { type: 'string' },
    'tls-cert': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});

function die(msg) {
  process.stderr.write(`s3rver.js: ${msg}\n`);
  process.exit(2);
}
if (!opts.directory) die('--directory is required');
if (!opts['access-key-id'] || !opts.secret) die('--access-key-id and --secret are required');

// s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 has only in
// its legacy provider; without it every truncated listing answers 500. Refuse to start.
try {
  crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
} catch (e) {
  die(`OpenSSL's DES is unavailable (${e.message}): run with NODE_OPTIONS=--openssl-legacy-provider`);
}

const pkg = path.join(__dirname, 'npm', 'node_modules', '@20minutes', 's3rver');
const lib = (p) => require(path.join(pkg, 'lib', p));
let S3rver, AWSAccount, S3Error, FilesystemStore, v4, utils;
try {
  S3rver = lib('s3rver.js');
  v4 = lib('signature/v4.js');
  utils = lib('utils.js');
  AWSAccount = lib('models/account.js');
  S3Error = lib('models/error.js');
  FilesystemStore = lib('stores/filesystem.js');
} catch (e) {
  die(`cannot load @20minutes/s3rver from ${pkg} (run scripts/install-deps.sh): ${e.message}`);
}

// s3rver has one hard-coded account with the key pair S3RVER/S3RVER. Give that account
// the test's key pair and take the default one away, so a request signed with
// S3RVER/S3RVER is refused (InvalidAccessKeyId) like any other unknown key.
const account = AWSAccount.DUMMY_ACCOUNT;
if (opts['access-key-id'] !== 'S3RVER') account.revokeAccessKey('S3RVER');
account.createKeyPair(opts['access-key-id'], opts.secret);

function s3error(code, message, status, detail = {}) {
  const e = new S3Error(code, message, detail);
  if (status) {
    e.status = status;
    e.expose = status < 500;
  }
  return e;
}
const xmlEscape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
const byteOrder = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const MIN_PART = 5 * 1024 * 1024;

// The request being served, for the store patches below: what its body must hash to.
const current = new AsyncLocalStorage();

function uploadsDir(store, bucket) {
  return store.getResourcePath(bucket, undefined, 'uploads');
}
function uploadDir(store, bucket, uploadId) {
  if (!/^[0-9a-f]{1,64}$/.test(String(uploadId))) {
    throw s3error('NoSuchUpload', 'The specified upload does not exist.', 404, { UploadId: String(uploadId) });
  }
  return path.join(uploadsDir(store, bucket), uploadId);
}
async function requireUpload(store, bucket, uploadId) {
  const dir = uploadDir(store, bucket, uploadId);
  try {
    return { dir, key: (await fs.promises.readFile(path.join(dir, 'key'))).toString() };
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    throw s3error('NoSuchUpload', 'The specified upload does not exist.', 404, { UploadId: uploadId });
  }
}

function patchStore() {
  const P = FilesystemStore.prototype;

  // C, D: the body goes to a temporary file, is hashed on the way, and replaces the
  // object only when it arrived whole and matches what the request said it would be.
  const putContent = P.putContent;
  P.putContent = async function (objectPath, content) {
    const tmp = `${objectPath}.s3rverjs-${crypto.randomBytes(6).toString('hex')}`;
    const want = current.getStore() || {};
    const sha256 = crypto.createHash('sha256');
    const md5 = crypto.createHash('md5');
    try {
      let result;
      if (Buffer.isBuffer(content)) {
        // (the stock putContent answers before a Buffer is on disk)
        await fs.promises.writeFile(tmp, content);
        sha256.update(content);
        md5.update(content);
        result = [content.length, crypto.createHash('md5').update(content).digest('hex')];
      } else {
        const source = new Transform({
          transform(chunk, enc, cb) {
            sha256.update(chunk);
            md5.update(chunk);
            cb(null, chunk);
          },
        });
        pipeline(content, source, () => {});
        result = await putContent.call(this, tmp, source);
      }
      if (want.sha256 && sha256.digest('hex') !== want.sha256) {
        throw s3error('XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.", 400);
      }
      if (want.md5 && md5.digest('base64') !== want.md5) {
        throw s3error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
      }
      await fs.promises.rename(tmp, objectPath);
      return result;
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  };

  // E: list in byte order; the stock walk lists in file-name order, which is not the
  // keys' order ("a-b" before "a", "app/x" before "app-2/y"), so paging skips keys.
  // Only the page's keys are read for their metadata (reading all of them made a page
  // of a 3,000-key listing take 2 s instead of 0.3 s).
  const listObjects = P.listObjects;
  const { walk } = lib('utils');
  const S3Object = lib('models/object');
  const objectSuffix = '._S3rver_object';
  P.listObjects = async function (bucket, options) {
    if (options.delimiter) return listObjects.call(this, bucket, options);
    const { startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const bucketPath = this.getBucketPath(bucket);
    const prefixPath = [bucketPath, this.constructor.encodeKeyPath(prefix)].join('/');
    const keys = [];
    const within = (dir) => dir.startsWith(prefixPath) || prefixPath.startsWith(dir);
    for (const file of walk(bucketPath, within)) {
      if (!file.endsWith(objectSuffix)) continue;
      const key = this.constructor.decodeKeyPath(file.slice(bucketPath.length + 1, -objectSuffix.length));
      if (key.startsWith(prefix) && byteOrder(key, startAfter) > 0) keys.push(key);
    }
    keys.sort(byteOrder);
    const page = keys.slice(0, maxKeys);
    const metadata = await Promise.all(page.map((key) => this.getMetadata(bucket, key).catch((err) => {
      if (err.code === 'ENOENT') return undefined; // removed since the walk
      throw err;
    })));
    return {
      objects: page.flatMap((key, i) => (metadata[i] === undefined ? [] : [new S3Object(bucket, key, null, metadata[i])])),
      commonPrefixes: [],
      isTruncated: keys.length > maxKeys,
    };
  };

  // H: parts of an upload that exists only.
  const putPart = P.putPart;
  P.putPart = async function (bucket, uploadId, partNumber, content) {
    await requireUpload(this, bucket, uploadId);
    const n = Number(partNumber);
    if (!Number.isInteger(n) || n < 1 || n > 10000) {
      throw s3error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400, {
        ArgumentName: 'partNumber', ArgumentValue: String(partNumber),
      });
    }
    return putPart.call(this, bucket, uploadId, String(n), content);
  };

  // H: Complete checks what AWS checks and answers AWS's multipart ETag.
  const putObjectMultipart = P.putObjectMultipart;
  P.putObjectMultipart = async function (bucket, uploadId, parts) {
    const { dir, key } = await requireUpload(this, bucket, uploadId);
    const md5s = [];
    for (let i = 0; i < parts.length; i++) {
      const { number, etag } = parts[i];
      if (i > 0 && number <= parts[i - 1].number) {
        throw s3error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', 400);
      }
      let md5, size;
      try {
        md5 = (await fs.promises.readFile(path.join(dir, `${number}.md5`))).toString();
        size = (await fs.promises.stat(path.join(dir, String(number)))).size;
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
      }
      if (md5 === undefined || md5 !== etag) {
        throw s3error('InvalidPart', "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400, {
          UploadId: uploadId, PartNumber: String(number), ETag: etag,
        });
      }
      if (i < parts.length - 1 && size < MIN_PART) {
        throw s3error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, {
          ProposedSize: String(size), MinSizeAllowed: String(MIN_PART), PartNumber: String(number),
        });
      }
      md5s.push(Buffer.from(md5, 'hex'));
    }
    const result = await current.run({}, () => putObjectMultipart.call(this, bucket, uploadId, parts));
    const etag = `${crypto.createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}`;
    await fs.promises.writeFile(this.getResourcePath(bucket, key, 'object.md5'), etag);
    return { ...result, md5: etag };
  };
}

// I: SigV4's canonical URI is the path as sent and its canonical query string is every
// parameter as sent, each name and value URI-encoded once (RFC 3986), sorted.
function patchCanonicalRequest() {
  const enc = (x) => utils.encodeURIComponentRFC3986(decodeURIComponent(x));
  const getStringToSign = v4.getStringToSign;
  v4.getStringToSign = function (canonicalRequest, request) {
    const { rawPath, rawQuery } = current.getStore() || {};
    if (rawPath !== undefined) {
      try {
        const uri = rawPath.split('/').map(enc).join('/');
        const pairs = rawQuery
          .split('&')
          .filter(Boolean)
          .map((p) => {
            const i = p.indexOf('=');
            return i < 0 ? [enc(p), ''] : [enc(p.slice(0, i)), enc(p.slice(i + 1))];
          })
          .filter(([k]) => k !== 'X-Amz-Signature')
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
        const querystring = pairs.map(([k, v]) => `${k}=${v}`).join('&');
        canonicalRequest = { ...canonicalRequest, uri, querystring };
      } catch (e) {
        // a malformed escape: leave s3rver's own
      }
    }
    return getStringToSign.call(this, canonicalRequest, request);
  };
}

// F: s3rver escapes text with `he` and then its XML builder escapes it again.
function patchDoubleEscape() {
  const he = require(require.resolve('he', { paths: [pkg] }));
  he.escape = (s) => s;
}

// G: ListMultipartUploads, from s3rver's own upload directories.
async function listUploads(ctx) {
  const { bucket } = ctx.params;
  const q = ctx.query;
  const prefix = q.prefix || '';
  const keyMarker = q['key-marker'] || '';
  const idMarker = keyMarker ? q['upload-id-marker'] || '' : '';
  const maxUploads = Math.min(1000, q['max-uploads'] ? Number(q['max-uploads']) : 1000);
  if (!Number.isInteger(maxUploads) || maxUploads < 0) {
    throw s3error('InvalidArgument', 'max-uploads must be an integer between 0 and 2147483647', 400);
  }
  const root = uploadsDir(ctx.app.store, bucket);
  let ids = [];
  try {
    ids = await fs.promises.readdir(root);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  const uploads = [];
  for (const id of ids) {
    try {
      const key = (await fs.promises.readFile(path.join(root, id, 'key'))).toString();
      const { mtime } = await fs.promises.stat(path.join(root, id, 'key'));
      uploads.push({ key, id, initiated: mtime });
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw e;
    }
  }
  const after = (u) => {
    const c = byteOrder(u.key, keyMarker);
    return c > 0 || (c === 0 && idMarker !== '' && u.id > idMarker);
  };
  const matching = uploads
    .filter((u) => u.key.startsWith(prefix) && (keyMarker === '' || after(u)))
    .sort((a, b) => byteOrder(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = matching.slice(0, maxUploads);
  const truncated = matching.length > page.length;
  const last = page[page.length - 1];
  const owner = `<ID>${account.id}</ID><DisplayName>${xmlEscape(account.displayName)}</DisplayName>`;
  ctx.type = 'application/xml';
  ctx.body = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Bucket>${xmlEscape(bucket)}</Bucket>`,
    `<KeyMarker>${xmlEscape(keyMarker)}</KeyMarker><UploadIdMarker>${xmlEscape(idMarker)}</UploadIdMarker>`,
    `<NextKeyMarker>${last ? xmlEscape(last.key) : ''}</NextKeyMarker>`,
    `<NextUploadIdMarker>${last ? last.id : ''}</NextUploadIdMarker>`,
    `<Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>${maxUploads}</MaxUploads>`,
    `<IsTruncated>${truncated}</IsTruncated>`,
    ...page.map((u) =>
      `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.id}</UploadId>` +
      `<Initiator>${owner}</Initiator><Owner>${owner}</Owner><StorageClass>STANDARD</StorageClass>` +
      `<Initiated>${u.initiated.toISOString()}</Initiated></Upload>`),
    '</ListMultipartUploadsResult>',
  ].join('');
}

// G: AbortMultipartUpload.
async function abortUpload(ctx) {
  const { bucket, key } = ctx.params;
  const upload = await requireUpload(ctx.app.store, bucket, ctx.query.uploadId);
  if (upload.key !== key) {
    throw s3error('NoSuchUpload', 'The specified upload does not exist.', 404, { UploadId: ctx.query.uploadId });
  }
  await fs.promises.rm(upload.dir, { recursive: true, force: true });
  ctx.status = 204;
}

// A, B, C, G, I: runs first, around everything s3rver does. The operations s3rver lacks are
// served when s3rver, having authenticated the request and found the bucket, refuses them.
async function strict(ctx, next) {
  if (ctx.get('transfer-encoding')) {
    throw s3error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, {
      Header: 'Transfer-Encoding',
    });
  }
  if (ctx.method === 'PUT' && ctx.get('content-length') === '') {
    throw s3error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
  }
  const signed = 'authorization' in ctx.headers || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;
  if (!signed && ctx.method !== 'OPTIONS') {
    throw s3error('AccessDenied', 'Access Denied', 403);
  }
  // the path before s3rver takes a virtual host's bucket into it
  const want = { rawPath: ctx.path, rawQuery: ctx.querystring };
  if (ctx.method === 'PUT') {
    const sha = ctx.get('x-amz-content-sha256');
    if (/^[0-9a-fA-F]{64}$/.test(sha)) want.sha256 = sha.toLowerCase();
    if (ctx.get('content-md5')) want.md5 = ctx.get('content-md5');
  }
  try {
    await current.run(want, next);
  } catch (err) {
    const { key } = ctx.params || {};
    if (err.code === 'MethodNotAllowed' && ctx.method === 'DELETE' && 'uploadId' in ctx.query && key) {
      return abortUpload(ctx);
    }
    if (err.code === 'NotImplemented' && ctx.method === 'GET' && 'uploads' in ctx.query && !key) {
      return listUploads(ctx);
    }
    throw err;
  }
}

fs.mkdirSync(opts.directory, { recursive: true });
if (!opts.stock) {
  patchStore();
  patchDoubleEscape();
  patchCanonicalRequest();
}
const server = new S3rver({
  address: opts.address,
  port: Number(opts.port),
  directory: opts.directory,
  silent: !opts.verbose,
  serviceEndpoint: opts['service-endpoint'],
  allowMismatchedSignatures: false,
  configureBuckets: opts.bucket.map((name) => ({ name })),
  // HTTPS with the test's own certificate when given (s3rver serves https with key+cert).
  ...(opts['tls-key'] ? { key: fs.readFileSync(opts['tls-key']), cert: fs.readFileSync(opts['tls-cert']) } : {}),
});
// Koa composes its middleware when the server starts listening: this one goes first.
if (!opts.stock) server.middleware.unshift(strict);

server.run().then(
  ({ address, port }) => {
    if (opts['port-file']) {
      fs.writeFileSync(`${opts['port-file']}.tmp`, `${port}\n`);
      fs.renameSync(`${opts['port-file']}.tmp`, opts['port-file']);
    }
    process.stdout.write(`s3rver listening on ${address}:${port}${opts.stock ? ' (stock)' : ''}\n`);
  },
  (err) => die(`cannot start: ${err.stack || err}`),
);

const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

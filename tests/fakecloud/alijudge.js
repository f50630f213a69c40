// alijudge.js — the judge behind the fake Alibaba Cloud (fakealiyun.py): a
// long-lived node process that answers one JSON request per line on stdin
// with one JSON answer per line on stdout, using Alibaba's own SDK code
// (tests/node_modules, pinned in tests/package.json) so that the fake never
// relies on hoist's understanding of the wire protocol:
//
//   {"op":"acs3", method, pathname, query, headers, payload, ak, sk}
//       ACS3-HMAC-SHA256 recomputed by @alicloud/openapi-core's
//       getAuthorization over the headers the request says it signed
//   {"op":"oss4", method, bucket, key, query, headers, region, ak, sk}
//       OSS4-HMAC-SHA256 by ali-oss's signUtils.authorizationV4
//   {"op":"sls", method, path, query, headers, ak, sk}
//       SLS "LOG" by @alicloud/gateway-sls's getAuthorization
//   {"op":"route", product, method, path, query, action}
//       which operation of the product's SDK client a request is (method +
//       pathname template for ROA products, x-acs-action for RPC), with its
//       path labels, and the query/body checked against the request model:
//       unknown member, wrong type, missing required member -> an error
//   {"op":"check", product, action, body}   the request body (ROA/RPC form)
//   {"op":"shape", product, action, body}   a response body the fake built,
//       checked against the response model (the fake's own bugs surface)
//   {"op":"model", product, model, value}   a value (a trigger's config JSON,
//       say) checked against one named model
//   {"op":"crc64", file}                    CRC-64/ECMA-182 of a file (decimal)
//   {"op":"xca", method, pathq, headers, signed, form, secret}
//       API Gateway's X-Ca-Signature of a call to an APP-authorized API,
//       recomputed by the aliyun-api-gateway client's own buildStringToSign
//       and sign over the headers the request names in
//       X-Ca-Signature-Headers, its path and query, and a form body's params
//
// Operations are read from each SDK's src/client.ts (*WithOptions methods:
// action, method, pathname, style, query/body member names), member types
// from the models' static types()/names(), and required members from the
// models' "This parameter is required." remarks.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');

const MODULES = path.join(__dirname, '..', 'node_modules');
const req = (m) => require(path.join(MODULES, m));

const acsUtil = req('@alicloud/openapi-core/dist/utils').default;
const ossSign = req('ali-oss/lib/common/signUtils');
const SlsGateway = req('@alicloud/gateway-sls').default;

const PRODUCTS = {
  fc: '@alicloud/fc20230330',
  sts: '@alicloud/sts20150401',
  alidns: '@alicloud/alidns20150109',
  sls: '@alicloud/sls20201230',
  cloudapi: '@alicloud/cloudapi20160714',
  ram: '@alicloud/ram20150501',
};

// ---- models: required members from the .ts remarks -------------------------

function requiredMembers(pkgDir) {
  const out = {};
  const dir = path.join(pkgDir, 'src', 'models');
  let files = [];
  try { files = fs.readdirSync(dir); } catch (e) { return out; }
  for (const f of files) {
    if (!f.endsWith('.ts')) continue;
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const part of text.split(/export class /).slice(1)) {
      const name = part.match(/^(\w+)/)[1];
      const req = new Set();
      const rx = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n\s*(\w+)\??\s*:/g;
      let m;
      while ((m = rx.exec(part))) {
        if (/This parameter is required\./.test(m[1])) req.add(m[2]);
      }
      out[name] = req;
    }
  }
  return out;
}

// ---- operations from client.ts ----------------------------------------------

function parseOps(pkgDir) {
  const text = fs.readFileSync(path.join(pkgDir, 'src', 'client.ts'), 'utf8');
  const ops = {};
  const rx = /async (\w+)WithOptions\(([^)]*)\)[^{]*\{([\s\S]*?)\n  \}\n/g;
  let m;
  while ((m = rx.exec(text))) {
    const [, , sig, body] = m;
    const g = (re) => { const x = body.match(re); return x ? x[1] : null; };
    const action = g(/action: "(\w+)"/);
    if (!action) continue;
    let pathname = g(/pathname: `([^`]*)`/) || g(/pathname: "([^"]*)"/) || '/';
    const shrink = body.match(/let request = new \$_model\.(\w+ShrinkRequest)\(/);
    const reqModel = shrink ? shrink[1] : ((sig.match(/request: \$_model\.(\w+)/) || [])[1] || null);
    const query = {};
    const qrx = /query\["([^"]+)"\] = [^;]*?request\.(\w+)/g;
    let q;
    while ((q = qrx.exec(body))) query[q[1]] = q[2];
    const form = {};
    const brx = /body\["([^"]+)"\] = [^;]*?request\.(\w+)/g;
    while ((q = brx.exec(body))) form[q[1]] = q[2];
    const bodyModel = /body: OpenApiUtil\.parseToMap\(request\.body\)/.test(body) ||
      /body: request\.body/.test(body);
    const stream = /stream: request\.body/.test(body);
    // pathname: `/2023-03-30/functions/${$dara.URL.percentEncode(functionName)}` or `${logstore}`
    const labels = [];
    let fixedQuery = {};
    if (pathname.includes('?')) {
      const [p, qs] = pathname.split('?');
      pathname = p;
      for (const kv of qs.split('&')) { const [k, v] = kv.split('='); fixedQuery[k] = v || ''; }
    }
    let re = '';
    for (const part of pathname.split(/(\$\{[^}]+\})/)) {
      const lm = part.match(/^\$\{(?:\$dara\.URL\.percentEncode\()?(\w+)\)?\}$/);
      if (lm) { labels.push(lm[1]); re += '([^/]+)'; }
      else re += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    ops[action] = {
      action, method: g(/method: "(\w+)"/), style: g(/style: "(\w+)"/),
      reqBodyType: g(/reqBodyType: "(\w+)"/), bodyType: g(/bodyType: "(\w+)"/),
      pathname, regex: new RegExp('^' + re + '/?$'), labels, fixedQuery,
      literal: pathname.replace(/\$\{[^}]+\}/g, '').length,
      reqModel, query, form, bodyModel, stream,
    };
  }
  return ops;
}

const products = {};
function product(name) {
  if (!products[name]) {
    const pkg = PRODUCTS[name];
    if (!pkg) throw new Error('unknown product ' + name);
    const dir = path.join(MODULES, pkg);
    products[name] = { models: req(pkg), ops: parseOps(dir), required: requiredMembers(dir) };
  }
  return products[name];
}

// ---- type checks --------------------------------------------------------------

function isModel(t) { return typeof t === 'function' && typeof t.types === 'function'; }

function typeName(t) {
  if (isModel(t)) return t.name;
  if (typeof t === 'string') return t;
  if (t && t.type === 'array') return 'array of ' + typeName(t.itemType);
  if (t && t.type === 'map') return 'map of ' + typeName(t.valueType);
  return JSON.stringify(t);
}

// Validate a JSON value against a Tea type; returns a list of problems.  A
// response (answer=true) is not held to the required members: the SDK checks
// those on requests only, and a service leaves out what it will not echo (FC
// answers a custom domain's certConfig without the private key).
function check(P, t, v, where, out, answer = false) {
  if (v === null || v === undefined) return out;
  if (isModel(t)) {
    if (typeof v !== 'object' || Array.isArray(v)) {
      out.push(`${where}: expected an object (${t.name}), got ${JSON.stringify(v).slice(0, 60)}`);
      return out;
    }
    const names = t.names(), types = t.types();
    const wire = {};
    for (const f of Object.keys(names)) wire[names[f]] = f;
    for (const k of Object.keys(v)) {
      if (!(k in wire)) { out.push(`${where}: unknown member '${k}' (${t.name} has: ${Object.values(names).join(', ')})`); continue; }
      check(P, types[wire[k]], v[k], where ? `${where}.${k}` : k, out, answer);
    }
    for (const f of answer ? [] : P.required[t.name] || []) {
      if (f in names && (v[names[f]] === undefined || v[names[f]] === null))
        out.push(`${where ? where + '.' : ''}${names[f]}: required member missing (${t.name})`);
    }
    return out;
  }
  if (t && t.type === 'array') {
    if (!Array.isArray(v)) { out.push(`${where}: expected an array, got ${typeof v}`); return out; }
    v.forEach((x, i) => check(P, t.itemType, x, `${where}[${i}]`, out, answer));
    return out;
  }
  if (t && t.type === 'map') {
    if (typeof v !== 'object' || Array.isArray(v)) { out.push(`${where}: expected an object (map)`); return out; }
    for (const k of Object.keys(v)) check(P, t.valueType, v[k], `${where}.${k}`, out, answer);
    return out;
  }
  switch (t) {
    case 'string': if (typeof v !== 'string') out.push(`${where}: expected a string, got ${JSON.stringify(v)}`); break;
    case 'number': case 'integer': case 'long': case 'float': case 'double':
      if (typeof v !== 'number') out.push(`${where}: expected a number, got ${JSON.stringify(v)}`); break;
    case 'boolean': if (typeof v !== 'boolean') out.push(`${where}: expected a boolean, got ${JSON.stringify(v)}`); break;
    default: break;   // any, Readable, bytes
  }
  return out;
}

// A query value (always a string on the wire) against a scalar type.
function checkQueryValue(t, v, where, out) {
  if (t === 'number' || t === 'integer' || t === 'long') {
    if (!/^-?\d+(\.\d+)?$/.test(v)) out.push(`${where}: '${v}' is not a number`);
  } else if (t === 'boolean') {
    if (v !== 'true' && v !== 'false') out.push(`${where}: '${v}' is not true/false`);
  }
  return out;
}

// ---- operations ---------------------------------------------------------------

function route(msg) {
  const P = product(msg.product);
  let op = null, labels = {};
  if (msg.action && P.ops[msg.action] && P.ops[msg.action].style === 'RPC') {
    op = P.ops[msg.action];
  } else {
    let best = null;
    for (const o of Object.values(P.ops)) {
      if (o.method !== msg.method) continue;
      const m = o.regex.exec(msg.path);
      if (!m) continue;
      if (Object.keys(o.fixedQuery).some((k) => !(k in (msg.query || {})) || msg.query[k] !== o.fixedQuery[k])) continue;
      const score = o.literal * 10 + Object.keys(o.fixedQuery).length * 1000;
      if (!best || score > best[0]) best = [score, o, m];
    }
    if (best) {
      op = best[1];
      op.labels.forEach((l, i) => { labels[l] = decodeURIComponent(best[2][i + 1]); });
    }
  }
  if (!op) return { ok: false, status: 404, code: 'PathNotSupported', message: `'${msg.method}' against '${msg.path}' is not supported` };
  if (msg.action && msg.action !== op.action)
    return { ok: false, status: 400, code: 'InvalidAction', message: `x-acs-action ${msg.action} does not match ${msg.method} ${msg.path} (${op.action})` };
  const problems = [];
  const reqT = op.reqModel && P.models[op.reqModel] ? P.models[op.reqModel].types() : {};
  for (const [k, v] of Object.entries(msg.query || {})) {
    if (k in op.fixedQuery) continue;
    if (!(k in op.query)) { problems.push(`query parameter '${k}' is not a parameter of ${op.action} (known: ${Object.keys(op.query).join(', ') || 'none'})`); continue; }
    checkQueryValue(reqT[op.query[k]], v === null ? '' : v, k, problems);
  }
  const reqd = P.required[op.reqModel] || new Set();
  for (const [wire, field] of Object.entries(op.query)) {
    if (reqd.has(field) && !(wire in (msg.query || {}))) problems.push(`${wire}: required parameter missing`);
  }
  if (problems.length) return { ok: false, status: 400, code: 'InvalidArgument', message: problems.join('; '), action: op.action };
  return { ok: true, action: op.action, labels, style: op.style, bodyModel: op.bodyModel, stream: op.stream, form: Object.keys(op.form).length > 0 };
}

function checkBody(msg) {
  const P = product(msg.product);
  const op = P.ops[msg.action];
  const problems = [];
  if (!op) return { ok: false, message: 'unknown action ' + msg.action };
  const reqModel = op.reqModel && P.models[op.reqModel];
  if (op.bodyModel && reqModel) {
    const t = reqModel.types().body;
    if ((msg.body === null || msg.body === undefined) && (P.required[op.reqModel] || new Set()).has('body'))
      problems.push('the request body is required');
    check(P, t, msg.body, '', problems);
  } else if (Object.keys(op.form).length && reqModel) {
    const types = reqModel.types();
    const reqd = P.required[op.reqModel] || new Set();
    for (const [k, v] of Object.entries(msg.body || {})) {
      if (!(k in op.form)) { problems.push(`body member '${k}' is not a parameter of ${op.action} (known: ${Object.keys(op.form).join(', ')})`); continue; }
      const t = types[op.form[k]];
      if (msg.formEncoded) checkQueryValue(t, String(v), k, problems);
      else check(P, t, v, k, problems);
    }
    for (const [wire, field] of Object.entries(op.form))
      if (reqd.has(field) && (msg.body || {})[wire] === undefined) problems.push(`${wire}: required member missing`);
  } else if (msg.body !== null && msg.body !== undefined && !op.stream) {
    problems.push(`${op.action} takes no body`);
  }
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true };
}

function shape(msg) {
  const P = product(msg.product);
  const op = P.ops[msg.action];
  if (!op) return { ok: false, message: 'unknown action ' + msg.action };
  const respName = op.reqModel ? op.reqModel.replace(/(Shrink)?Request$/, 'Response') : msg.action + 'Response';
  const resp = P.models[respName];
  if (!resp) return { ok: true };
  const t = resp.types().body;
  if (!t) return msg.body === null || msg.body === undefined ? { ok: true } : { ok: false, message: `${msg.action} answers no body` };
  const problems = check(P, t, msg.body, '', [], true);
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true };
}

// ---- signatures -----------------------------------------------------------------

function acs3(msg) {
  const expected = acsUtil.getAuthorization({ pathname: msg.pathname, method: msg.method, query: msg.query || {}, headers: msg.headers },
    'ACS3-HMAC-SHA256', msg.payload, msg.ak, msg.sk);
  return { expected };
}

function oss4(msg) {
  const expected = ossSign.authorizationV4(msg.ak, msg.sk, msg.region, msg.method,
    { headers: msg.headers, queries: msg.query || {} }, msg.bucket || undefined, msg.key || undefined);
  return { expected };
}

async function sls(msg) {
  const g = new SlsGateway();
  const expected = await g.getAuthorization(msg.path, msg.method, msg.query || {}, msg.headers, msg.ak, msg.sk);
  return { expected };
}

// CRC-64/ECMA-182 (reflected; init and xorout all ones) over 32-bit halves.
const CRC_TABLE = (() => {
  const hiT = new Uint32Array(256), loT = new Uint32Array(256);
  const polyHi = 0xC96C5795, polyLo = 0xD7870F42;
  for (let n = 0; n < 256; n++) {
    let hi = 0, lo = n;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) { hi = (hi ^ polyHi) >>> 0; lo = (lo ^ polyLo) >>> 0; }
    }
    hiT[n] = hi; loT[n] = lo;
  }
  return { hiT, loT };
})();

function crc64(msg) {
  const { hiT, loT } = CRC_TABLE;
  let hi = 0xFFFFFFFF, lo = 0xFFFFFFFF;
  const fd = fs.openSync(msg.file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
    for (let i = 0; i < n; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
      hi = hi >>> 8;
      hi = (hi ^ hiT[idx]) >>> 0;
      lo = (lo ^ loT[idx]) >>> 0;
    }
  }
  fs.closeSync(fd);
  hi = (~hi) >>> 0; lo = (~lo) >>> 0;
  return { crc: ((BigInt(hi) << 32n) | BigInt(lo)).toString() };
}

// A value against one named model of a product ({"op":"model", product, model, value}).
function model(msg) {
  const P = product(msg.product);
  const t = P.models[msg.model];
  if (!t) return { ok: false, message: 'unknown model ' + msg.model };
  const problems = check(P, t, msg.value, '', []);
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true };
}

// X-Ca-Signature as the aliyun-api-gateway client computes it.  A name
// given twice in the query or the form signs with its first value (the
// gateway's documented rule); the client itself would sign an array.
const XcaClient = req('aliyun-api-gateway/lib/client');
const url = require('url');
const querystring = require('querystring');

function firstValues(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) if (!(k in out)) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

function xca(msg) {
  const c = new XcaClient('key', msg.secret);
  const parsed = url.parse(msg.pathq, true);
  parsed.query = firstValues(parsed.query);
  const headers = {};
  for (const [k, v] of Object.entries(msg.headers)) headers[k.toLowerCase()] = v;
  const signed = msg.signed.map((h) => h.toLowerCase()).sort();
  const form = msg.form !== null && msg.form !== undefined ? querystring.parse(msg.form) : undefined;
  const data = form ? firstValues(form) : undefined;
  if (data) for (const k of Object.keys(data)) if (k in parsed.query) delete data[k];
  const sts = c.buildStringToSign(msg.method, headers, c.getSignedHeadersString(signed, headers),
    parsed, data);
  return { expected: c.sign(sts), stringToSign: sts };
}

const OPS = { acs3, oss4, sls, route, check: checkBody, shape, model, crc64, xca };

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let out;
  try {
    const msg = JSON.parse(line);
    out = await OPS[msg.op](msg);
  } catch (e) {
    out = { error: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});

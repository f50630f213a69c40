// tc_judge.js — the judge behind the fake Tencent Cloud (faketencent.py):
// Tencent's own SDK code decides whether a request hoist sent is right.
//
//   - TC3-HMAC-SHA256: recomputed with tencentcloud-sdk-nodejs-common's
//     Sign.sign3 from the request as it arrived;
//   - COS: recomputed with cos-nodejs-sdk-v5's util.getAuth;
//   - parameters: checked against the SDKs' request models, the
//     `*_models.d.ts` interfaces parsed with the `typescript` package
//     (unknown member → UnknownParameter, missing required one →
//     MissingParameter, wrong JSON type → InvalidParameter), for the
//     actions each service's `*_client.d.ts` declares;
//   - answers the fake gives: checked against the response models, so the
//     fake cannot drift from what Tencent returns.
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on
// stdout, in order.  Requests: {op: "tc3" | "cos" | "validate" | "response"
// | "actions", …} (see the handlers below).  Pinned in tests/package.json.
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const ts = require("typescript");
const Sign = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign").default;
const CosUtil = require("cos-nodejs-sdk-v5/sdk/util");

const NM = path.join(__dirname, "..", "node_modules");
const SERVICES = {
  scf: ["tencentcloud-sdk-nodejs-scf", "scf", "v20180416"],
  dnspod: ["tencentcloud-sdk-nodejs-dnspod", "dnspod", "v20210323"],
  cls: ["tencentcloud-sdk-nodejs", "cls", "v20201016"],
  cam: ["tencentcloud-sdk-nodejs", "cam", "v20190116"],
  ssl: ["tencentcloud-sdk-nodejs", "ssl", "v20191205"],
  monitor: ["tencentcloud-sdk-nodejs", "monitor", "v20180724"],
};

// ---- models ------------------------------------------------------------------

// A type node → {k: "string"|"number"|"boolean"|"any"|"null"|"array"|"ref", of, name}
function typeOf(node) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return { k: "string" };
    case ts.SyntaxKind.NumberKeyword: return { k: "number" };
    case ts.SyntaxKind.BooleanKeyword: return { k: "boolean" };
    case ts.SyntaxKind.NullKeyword: return { k: "null" };
    case ts.SyntaxKind.LiteralType:
      return node.literal.kind === ts.SyntaxKind.NullKeyword ? { k: "null" } : { k: "any" };
    case ts.SyntaxKind.ArrayType: return { k: "array", of: typeOf(node.elementType) };
    case ts.SyntaxKind.TypeReference: {
      const name = node.typeName.getText();
      if (name === "Array" && node.typeArguments && node.typeArguments.length === 1)
        return { k: "array", of: typeOf(node.typeArguments[0]) };
      return { k: "ref", name };
    }
    default: return { k: "any" };
  }
}

function parseModels(file) {
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const types = {};
  src.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) {
      const members = {};
      for (const m of n.members) {
        if (!ts.isPropertySignature(m) || !m.type) continue;
        members[m.name.getText()] = { t: typeOf(m.type), optional: !!m.questionToken };
      }
      types[n.name.text] = { k: "object", members };
    } else if (ts.isTypeAliasDeclaration(n)) {
      types[n.name.text] = typeOf(n.type);
    }
  });
  return types;
}

// The actions a client declares: Name(req: XRequest, …): Promise<XResponse>
function parseActions(file) {
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const actions = {};
  const visit = (n) => {
    if (ts.isMethodDeclaration(n) && n.parameters.length && n.parameters[0].type &&
        ts.isTypeReferenceNode(n.parameters[0].type)) {
      const req = n.parameters[0].type.typeName.getText();
      let resp = null;
      if (n.type && ts.isTypeReferenceNode(n.type) && n.type.typeArguments)
        resp = n.type.typeArguments[0].getText();
      actions[n.name.getText()] = { req, resp, optional: !!n.parameters[0].questionToken };
    }
    n.forEachChild(visit);
  };
  visit(src);
  return actions;
}

const models = {};
for (const [svc, [pkg, dir, ver]] of Object.entries(SERVICES)) {
  const base = path.join(NM, pkg, "tencentcloud", "services", dir, ver);
  models[svc] = {
    types: parseModels(path.join(base, `${dir}_models.d.ts`)),
    actions: parseActions(path.join(base, `${dir}_client.d.ts`)),
  };
}

// ---- checking a value against a type -------------------------------------------

function jsonType(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

// Problems as [code, message]; `where` is the parameter path ("Code.ZipFile").
function check(types, t, v, where, out, strictUnknown) {
  if (t.k === "any") return;
  if (t.k === "ref") {
    const r = types[t.name];
    if (!r) return;                       // a type the models do not define: accept
    return check(types, r, v, where, out, strictUnknown);
  }
  if (t.k === "null") {
    if (v !== null && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0))
      out.push(["UnknownParameter", `${where}: this action takes no parameters`]);
    return;
  }
  if (t.k === "array") {
    if (!Array.isArray(v)) {
      out.push(["InvalidParameter", `${where}: expected an array, got ${jsonType(v)}`]);
      return;
    }
    v.forEach((x, i) => check(types, t.of, x, `${where}.${i}`, out, strictUnknown));
    return;
  }
  if (t.k === "object") {
    if (jsonType(v) !== "object") {
      out.push(["InvalidParameter", `${where}: expected an object, got ${jsonType(v)}`]);
      return;
    }
    for (const [name, m] of Object.entries(t.members)) {
      const sub = where ? `${where}.${name}` : name;
      if (!(name in v) || v[name] === null) {
        if (!m.optional) out.push(["MissingParameter", `The request is missing a required parameter \`${sub}\`.`]);
        continue;
      }
      check(types, m.t, v[name], sub, out, strictUnknown);
    }
    if (strictUnknown)
      for (const name of Object.keys(v))
        if (!(name in t.members))
          out.push(["UnknownParameter", `The parameter \`${where ? where + "." : ""}${name}\` is not recognized.`]);
    return;
  }
  const want = t.k;
  if (jsonType(v) !== want)
    out.push(["InvalidParameter", `${where}: expected a ${want}, got ${jsonType(v)} (${JSON.stringify(v).slice(0, 40)})`]);
}

// ---- handlers ------------------------------------------------------------------

const handlers = {
  // {service, action, params} → {errors: [[code, message]…]} (empty: valid)
  validate({ service, action, params }) {
    const m = models[service];
    if (!m) return { errors: [["InvalidAction", `unknown service ${service}`]] };
    const a = m.actions[action];
    if (!a) return { errors: [["InvalidAction", `The requested action \`${action}\` does not exist in ${service}.`]] };
    const out = [];
    check(m.types, { k: "ref", name: a.req }, params === undefined ? {} : params, "", out, true);
    return { errors: out };
  },
  // {service, action, response} → {errors} (members the response model lacks, wrong types)
  response({ service, action, response }) {
    const m = models[service];
    const a = m && m.actions[action];
    if (!a || !a.resp) return { errors: [["InternalError", `no response model for ${service} ${action}`]] };
    const out = [];
    check(m.types, { k: "ref", name: a.resp }, response, "", out, true);
    return { errors: out };
  },
  // {method, url, body_b64, content_type, timestamp, service, secret_id, secret_key} → {authorization}
  tc3(q) {
    const payload = q.method === "POST" ? Buffer.from(q.body_b64 || "", "base64") : "";
    return {
      authorization: Sign.sign3({
        method: q.method, url: q.url, payload, timestamp: q.timestamp, service: q.service,
        secretId: q.secret_id, secretKey: q.secret_key,
        headers: { "Content-Type": q.content_type },
      }),
    };
  },
  // {method, key, query, headers, secret_id, secret_key, key_time} → {authorization}
  cos(q) {
    return {
      authorization: CosUtil.getAuth({
        SecretId: q.secret_id, SecretKey: q.secret_key, Method: q.method, Key: q.key,
        Query: q.query, Headers: q.headers, KeyTime: q.key_time,
      }),
    };
  },
  actions({ service }) {
    return { actions: Object.keys(models[service].actions) };
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let answer;
  try {
    const q = JSON.parse(line);
    answer = handlers[q.op](q);
  } catch (err) {
    answer = { fatal: String(err && err.stack || err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
process.stdout.write(JSON.stringify({ ready: Object.keys(models) }) + "\n");

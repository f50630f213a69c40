// The official @alicloud/fc20230330 Client against the fake: create, get and
// delete a function exactly as an SDK user would.  Connections to the real
// endpoint's host are redirected to the fake (argv[2] = port); the requests —
// Host header, path, ACS3 signature — are the SDK's own, unchanged.
'use strict';
const http = require('http');
const path = require('path');
const req = (m) => require(path.join(__dirname, '..', 'node_modules', m));

const port = Number(process.argv[2]);
const [akid, secret, zipB64] = [process.argv[3], process.argv[4], process.argv[5]];
const createConnection = http.Agent.prototype.createConnection;
http.Agent.prototype.createConnection = function (opts, cb) {
  return createConnection.call(this, Object.assign({}, opts, { host: '127.0.0.1', port }), cb);
};

const FC = req('@alicloud/fc20230330');
const OpenApi = req('@alicloud/openapi-core');

async function main() {
  const client = new FC.default(new OpenApi.$OpenApiUtil.Config({
    accessKeyId: akid, accessKeySecret: secret, regionId: 'cn-hangzhou',
    endpoint: 'fcv3.cn-hangzhou.aliyuncs.com', protocol: 'http',
  }));
  const out = {};
  const created = await client.createFunction(new FC.CreateFunctionRequest({
    body: new FC.CreateFunctionInput({
      functionName: 'sdk-roundtrip', runtime: 'python3.12', handler: 'index.handler',
      memorySize: 256, timeout: 10, description: 'made by the official SDK',
      code: new FC.InputCodeLocation({ zipFile: zipB64 }),
      environmentVariables: { GREETING: 'hi' },
    }),
  }));
  out.created = created.body.toMap();
  const got = await client.getFunction('sdk-roundtrip', new FC.GetFunctionRequest({}));
  out.got = got.body.toMap();
  await client.deleteFunction('sdk-roundtrip');
  try {
    await client.getFunction('sdk-roundtrip', new FC.GetFunctionRequest({}));
    out.after = 'still there';
  } catch (e) {
    out.after = { code: e.code, statusCode: e.statusCode };
  }
  try {
    const bad = new FC.default(new OpenApi.$OpenApiUtil.Config({
      accessKeyId: akid, accessKeySecret: secret + 'x', regionId: 'cn-hangzhou',
      endpoint: 'fcv3.cn-hangzhou.aliyuncs.com', protocol: 'http',
    }));
    await bad.getFunction('sdk-roundtrip', new FC.GetFunctionRequest({}));
    out.badsig = 'accepted';
  } catch (e) {
    out.badsig = { code: e.code, statusCode: e.statusCode };
  }
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e.stack || e); process.exit(1); });

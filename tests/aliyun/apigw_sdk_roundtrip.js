// Official clients against the fake API Gateway, as their users run them:
//   control  the @alicloud/cloudapi20160714 Client creates, describes and
//            deletes an API group and an app (argv: port, akid, secret)
//   call     the aliyun-api-gateway Client calls a deployed APP-authorized
//            API, signing as it does (argv: port, appkey, appsecret, url,
//            stage), and once more with a wrong secret
// Connections to the real hosts are redirected to the fake (argv[3] = port);
// the requests — Host, path, signatures — are the clients' own, unchanged.
'use strict';
const http = require('http');
const path = require('path');
const req = (m) => require(path.join(__dirname, '..', 'node_modules', m));

const [mode, port] = [process.argv[2], Number(process.argv[3])];
const createConnection = http.Agent.prototype.createConnection;
http.Agent.prototype.createConnection = function (opts, cb) {
  return createConnection.call(this, Object.assign({}, opts, { host: '127.0.0.1', port }), cb);
};

async function control(akid, secret) {
  const CloudAPI = req('@alicloud/cloudapi20160714');
  const OpenApi = req('@alicloud/openapi-core');
  const client = new CloudAPI.default(new OpenApi.$OpenApiUtil.Config({
    accessKeyId: akid, accessKeySecret: secret, regionId: 'cn-hangzhou',
    endpoint: 'apigateway.cn-hangzhou.aliyuncs.com', protocol: 'http',
  }));
  const out = {};
  const g = await client.createApiGroup(new CloudAPI.CreateApiGroupRequest({
    groupName: 'sdk_roundtrip', description: 'made by the official SDK' }));
  out.group = g.body.toMap();
  const d = await client.describeApiGroup(new CloudAPI.DescribeApiGroupRequest({
    groupId: g.body.groupId }));
  out.described = d.body.toMap();
  const app = await client.createApp(new CloudAPI.CreateAppRequest({ appName: 'sdk_app' }));
  const sec = await client.describeAppSecurity(new CloudAPI.DescribeAppSecurityRequest({
    appId: app.body.appId }));
  out.app = { id: app.body.appId, hasKey: !!sec.body.appKey, hasSecret: !!sec.body.appSecret };
  await client.deleteApp(new CloudAPI.DeleteAppRequest({ appId: app.body.appId }));
  await client.deleteApiGroup(new CloudAPI.DeleteApiGroupRequest({ groupId: g.body.groupId }));
  try {
    await client.describeApiGroup(new CloudAPI.DescribeApiGroupRequest({ groupId: g.body.groupId }));
    out.after = 'still there';
  } catch (e) {
    out.after = { code: e.code, statusCode: e.statusCode };
  }
  return out;
}

async function call(key, secret, url, stage) {
  const Client = req('aliyun-api-gateway').Client;
  const out = {};
  out.ok = await new Client(key, secret, stage).get(url, { headers: { accept: 'text/plain' } });
  try {
    await new Client(key, secret + 'x', stage).get(url, { headers: { accept: 'text/plain' } });
    out.bad = 'accepted';
  } catch (e) {
    out.bad = { code: e.code, message: e.data.headers['x-ca-error-message'] };
  }
  return out;
}

async function main() {
  const a = process.argv.slice(4);
  const out = mode === 'control' ? await control(a[0], a[1]) : await call(a[0], a[1], a[2], a[3]);
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e.stack || e); process.exit(1); });

"""The fake AWS itself, driven by botocore's own client: correct calls succeed
and come back in AWS's shapes; bad signatures and invalid input are refused
with AWS's errors; faults are injected on demand."""
import io
import json
import time
import urllib.request
import zipfile

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fakecloud.fakeaws import DEFAULT_KEYS

KEY, SECRET = next(iter(DEFAULT_KEYS.items()))


@pytest.fixture
def client(fake_aws):
    s = botocore.session.get_session()

    def make(name, secret=SECRET, validate=True):
        s.set_credentials(KEY, secret)
        return s.create_client(name, region_name="us-east-1", endpoint_url=fake_aws.url,
                               config=Config(retries={"total_max_attempts": 1},
                                             parameter_validation=validate))
    return make


def handler_zip(body):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hoist_handler.py", body)
    return buf.getvalue()


def admin(fake, path, doc=None):
    data = json.dumps(doc).encode() if doc is not None else None
    with urllib.request.urlopen(urllib.request.Request(fake.url + path, data=data,
                                                       method="POST" if data else "GET")) as r:
        return json.loads(r.read())


def test_sts_identity_and_request_log(client, fake_aws):
    ident = client("sts").get_caller_identity()
    assert ident["Account"] == "123456789012"
    log = admin(fake_aws, "/__fake/requests")
    assert [(r["service"], r["operation"]) for r in log] == [("sts", "GetCallerIdentity")]


def test_bad_signature_refused(client):
    with pytest.raises(ClientError) as e:
        client("sts", secret="wrong").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as e:
        client("lambda", secret="wrong").list_functions()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(ClientError) as e:
        client("s3", secret="wrong").list_objects_v2(Bucket="b")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_invalid_input_refused(client):
    # botocore validates client-side too; turn that off to reach the fake's checks.
    lam = client("lambda", validate=False)
    bogus = client("lambda")

    def add_member(request, **kw):   # the serializer cannot send unknown members
        doc = json.loads(request.data)
        doc["Bogus"] = 1
        request.data = json.dumps(doc).encode()
    bogus.meta.events.register("before-sign.lambda.CreateFunction", add_member)
    with pytest.raises(ClientError) as e:
        bogus.create_function(FunctionName="f", Role="arn:aws:iam::123456789012:role/r",
                              Code={"ZipFile": b"x"})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert 'Unknown parameter in input: "Bogus"' in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName="f", Code={"ZipFile": b"x"})
    assert 'Missing required parameter in input: "Role"' in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName="f", Role="r", Code={"ZipFile": b"x"}, MemorySize="big")
    assert "Invalid type for parameter MemorySize" in e.value.response["Error"]["Message"]
    iam = client("iam", validate=False)
    with pytest.raises(ClientError) as e:
        iam.get_role()
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_lambda_lifecycle_and_invoke(client, fake_aws, monkeypatch):
    from fakecloud import services
    # A settle long enough that "still Pending" holds on a loaded machine (tests/aws
    # sets HOIST_FAKE_SETTLE=0.05 for the whole session).
    monkeypatch.setattr(services, "SETTLE_SECONDS", 1.0)
    iam, lam = client("iam"), client("lambda")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    code = handler_zip("def handler(event, context):\n    print('in handler')\n"
                       "    return {'echo': event}\n")
    fn = lam.create_function(FunctionName="f", Runtime="python3.12", Handler="hoist_handler.handler",
                             Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": code})
    assert fn["State"] == "Pending"
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName="f", ZipFile=code)
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    deadline = time.time() + 10
    while lam.get_function_configuration(FunctionName="f")["State"] != "Active":
        assert time.time() < deadline, "the function never became Active"
        time.sleep(0.1)
    out = lam.invoke(FunctionName="f", Payload=b'{"x": 1}', LogType="Tail")
    assert json.loads(out["Payload"].read()) == {"echo": {"x": 1}}
    import base64
    assert "in handler" in base64.b64decode(out["LogResult"]).decode()
    v = lam.publish_version(FunctionName="f")
    assert v["Version"] == "1"
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName="f", Runtime="python3.12", Handler="h",
                            Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": code})
    assert e.value.response["Error"]["Message"] == "Function already exist: f"


def test_damaged_zip_refused_as_lambda_does(client, fake_aws):
    iam, lam = client("iam"), client("lambda")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    good = handler_zip("def handler(event, context):\n    return 1\n" + "# pad\n" * 400)
    bad_crc = bytearray(good)
    bad_crc[60] ^= 0xFF                    # inside the member's deflated bytes
    # the fake remembers members it inflated and found right (zipcheck.py): a good zip
    # first, then damaged copies of it with the same directory are refused all the same
    lam.create_function(FunctionName="g", Runtime="python3.12", Handler="hoist_handler.handler",
                        Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": good})
    for code in (bytes(bad_crc), good[:-30], b"not a zip"):
        with pytest.raises(ClientError) as e:
            lam.create_function(FunctionName="f", Runtime="python3.12",
                                Handler="hoist_handler.handler",
                                Role="arn:aws:iam::123456789012:role/r", Code={"ZipFile": code})
        assert "Could not unzip uploaded file" in e.value.response["Error"]["Message"]
    log = admin(fake_aws, "/__fake/requests")
    assert all(r["took"] >= 0 for r in log)  # the fake's own time for each request


def test_s3_objects_multipart_and_foreign_bucket(client, fake_aws):
    s3 = client("s3")
    s3.create_bucket(Bucket="mine")
    s3.put_object(Bucket="mine", Key="dir/a b.zip", Body=b"data")
    assert s3.get_object(Bucket="mine", Key="dir/a b.zip")["Body"].read() == b"data"
    up = s3.create_multipart_upload(Bucket="mine", Key="big")
    tags = [s3.upload_part(Bucket="mine", Key="big", UploadId=up["UploadId"], PartNumber=i,
                           Body=bytes([i]) * 5)["ETag"] for i in (1, 2)]
    s3.complete_multipart_upload(Bucket="mine", Key="big", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": t}
                                                            for i, t in enumerate(tags)]})
    assert s3.get_object(Bucket="mine", Key="big")["Body"].read() == b"\x01" * 5 + b"\x02" * 5
    admin(fake_aws, "/__fake/foreign-buckets", {"buckets": ["theirs"]})
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="theirs")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_faults(client, fake_aws):
    admin(fake_aws, "/__fake/faults", {"operation": "ListFunctions", "kind": "throttle", "count": 1})
    lam = client("lambda")
    with pytest.raises(ClientError) as e:
        lam.list_functions()
    assert e.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert lam.list_functions()["Functions"] == []
    admin(fake_aws, "/__fake/faults", {"operation": "GetCallerIdentity", "kind": "500", "count": 1})
    with pytest.raises(ClientError) as e:
        client("sts").get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_dynamodb_response_table_with_botocore(client, fake_aws):
    ddb = client("dynamodb")
    ddb.create_table(TableName="pies", AttributeDefinitions=[{"AttributeName": "id",
                                                               "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                     Tags=[{"Key": "hoist:stage", "Value": "x"}])
    with pytest.raises(ClientError, match="ResourceNotFoundException"):   # still CREATING
        ddb.put_item(TableName="pies", Item={"id": {"S": "a"}})
    deadline = time.time() + 5
    while ddb.describe_table(TableName="pies")["Table"]["TableStatus"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.05)
    ddb.put_item(TableName="pies", Item={"id": {"S": "a"}, "async_status": {"S": "in progress"}})
    ddb.update_item(TableName="pies", Key={"id": {"S": "a"}},
                    UpdateExpression="SET async_status = :s, async_response = :r",
                    ExpressionAttributeValues={":s": {"S": "complete"}, ":r": {"S": "1"}})
    assert ddb.get_item(TableName="pies", Key={"id": {"S": "a"}})["Item"] == {
        "id": {"S": "a"}, "async_status": {"S": "complete"}, "async_response": {"S": "1"}}
    assert "Item" not in ddb.get_item(TableName="pies", Key={"id": {"S": "b"}})
    with pytest.raises(ClientError, match="ValidationException"):
        ddb.put_item(TableName="pies", Item={"other": {"S": "a"}})
    arn = ddb.describe_table(TableName="pies")["Table"]["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "hoist:stage",
                                                                   "Value": "x"}]
    ddb.delete_table(TableName="pies")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        ddb.describe_table(TableName="pies")


def test_sns_publish_needs_the_function_permission(client, fake_aws):
    lam, sns = client("lambda"), client("sns")
    client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}))
    for _ in range(2):
        try:
            lam.create_function(FunctionName="f", Runtime="python3.12", Handler="hoist_handler.h",
                                Role="arn:aws:iam::123456789012:role/r",
                                Code={"ZipFile": handler_zip("def h(e, c):\n    return 1\n")})
            break
        except ClientError:
            continue
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda",
                  Endpoint="arn:aws:lambda:us-east-1:123456789012:function:f")
    assert sns.publish(TopicArn=topic, Message="hi")["MessageId"]
    st = admin(fake_aws, "/__fake/state")
    assert st["sns_topics"][topic]["failed_deliveries"] == [
        {"endpoint": "arn:aws:lambda:us-east-1:123456789012:function:f", "why": "permission"}]
    with pytest.raises(ClientError, match="InvalidParameter"):
        sns.publish(TopicArn=topic, Message="x" * (256 * 1024 + 1))


def signed(fake_aws, method, path):
    """A SigV4-signed Lambda request (botocore's signer), as (method, path, headers)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=fake_aws.url + path, data=b"")
    SigV4Auth(Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(req)
    return method, path, dict(req.headers.items())


def test_204_has_no_body_and_keep_alive_survives(client, fake_aws, monkeypatch):
    """Issue 12 item 24: with a botocore newer than Debian's, DeleteFunction's
    model has an output shape and the fake serialised "{}" after its 204; a
    client that reuses the connection without peeking at it (libcurl: hoist)
    then read those bytes as its next response.  The newer model's output is
    stood in for here, and two requests share one connection."""
    import http.client
    import fakecloud.fakeaws as fa
    real = fa.serialize_output

    def newer(op, out, request_id):
        status, headers, body = real(op, out, request_id)
        if status == 204:
            return status, dict(headers, **{"Content-Length": "2"}), b"{}"
        return status, headers, body
    monkeypatch.setattr(fa, "serialize_output", newer)
    lam = client("lambda")
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for _ in range(2):      # the fake refuses a brand-new role once
        try:
            lam.create_function(FunctionName="f1", Runtime="python3.12", Role=role,
                                Handler="h.handler", Code={"ZipFile": handler_zip("x=1")})
            break
        except ClientError:
            continue
    conn = http.client.HTTPConnection("127.0.0.1", fake_aws.port, timeout=10)
    for method, path, headers in (signed(fake_aws, "DELETE", "/2015-03-31/functions/f1"),
                                  signed(fake_aws, "GET", "/2015-03-31/functions/")):
        conn.request(method, path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        if method == "DELETE":
            assert r.status == 204 and body == b"" and r.getheader("Content-Length") is None
        else:
            assert r.status == 200 and json.loads(body)["Functions"] == []
    conn.close()

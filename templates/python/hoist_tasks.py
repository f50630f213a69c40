"""hoist_tasks -- asynchronous tasks with the contract of Zappa's zappa.asynchronous.

    from hoist_tasks import task            # or: from zappa.asynchronous import task

    @task
    def make_pie(flavour):
        ...

    make_pie("apple")       # in a deployed function: returns at once, runs in another invocation

API (Zappa's names and signatures):

  task(func=None, service="lambda", remote_aws_lambda_function_name=None,
       remote_aws_region=None, capture_response=False)     decorator, bare or called
  task_sns(func)                                           task(func, service="sns")
  run(func, args=[], kwargs={}, service="lambda", capture_response=False,
      remote_aws_lambda_function_name=None, remote_aws_region=None, **task_kwargs)
  get_async_response(response_id) -> {"status", "response"} or None

Outside a deployed function (no hoist_settings, or not running under the
provider) the function runs inline and its value is returned.  Inside one
the call becomes an asynchronous invocation of the same function (or of
remote_aws_lambda_function_name) and an AsyncResponse comes back at once
(.sent, .response_id).  The decorated function keeps the original as .sync.

The wire payload is Zappa's:
  {"command": "hoist_tasks.route_lambda_task", "task_path": "mod.func",
   "args": [...], "kwargs": {...}, "capture_response": bool, "response_id": id|null}
sent as the whole event (service "lambda"), or as the Message of an SNS
notification (service "sns", command hoist_tasks.route_sns_task).  The
handler also routes Zappa's own command names, so tasks sent by a Zappa
deployment still run.

Per provider (hoist_settings.PROVIDER):
  aws      Lambda Invoke with InvocationType Event, or SNS Publish to
           <function>-zappa-async (Zappa's topic); responses in the DynamoDB
           table async_response_table (Zappa's item layout, ttl 10 minutes);
           signed with the function's own credentials (hoist_aws).
  local    the gateway's control socket ($HOIST_LOCAL_CONTROL): the event is
           queued and run on the gateway's workers; responses are files
           <stage dir>/async_responses/<table>/<response id>.json.
  aliyun   FC InvokeFunction with x-fc-invocation-type Async (hoist_aliyun);
  tencent  SCF Invoke with InvocationType Event (hoist_tencent); on both,
           service "sns" sends the SNS-shaped event the same way, and
           responses are objects <function>/async-responses/<table>/<id>.json
           in the stage's OSS / COS bucket (ASYNC_RESPONSE_BUCKET, else on
           aliyun hoist-<account>-<region>; on tencent that name, else
           hoist-<region>, with -<appid> added).  SCF tasks go to the stage's
           alias when the function invokes itself.
Payload limits: 256 KB on AWS and local (Lambda asynchronous invocation and
SNS), 128 KB on Alibaba FC and Tencent SCF; over it, AsyncException.
"""

import json
import os
import sys
import time
import uuid
from functools import update_wrapper, wraps

LAMBDA_ASYNC_PAYLOAD_LIMIT = 256 * 1024
SNS_ASYNC_PAYLOAD_LIMIT = 256 * 1024
PAYLOAD_LIMITS = {"aws": 256 * 1024, "local": 256 * 1024, "aliyun": 128 * 1024,
                  "tencent": 128 * 1024}
RESPONSE_TTL = 600

LAMBDA_COMMAND = "hoist_tasks.route_lambda_task"
SNS_COMMAND = "hoist_tasks.route_sns_task"
# What the handler routes here: ours and Zappa's.
LAMBDA_COMMANDS = (LAMBDA_COMMAND, "zappa.asynchronous.route_lambda_task",
                   "zappa.async.route_lambda_task")
SNS_COMMANDS = (SNS_COMMAND, "zappa.asynchronous.route_sns_task",
                "zappa.async.route_sns_task")


class AsyncException(Exception):
    """An asynchronous task could not be sent."""


class UnserializableJsonError(TypeError):
    """A task's arguments are not JSON."""


def _settings():
    try:
        import hoist_settings
        return hoist_settings
    except ImportError:
        return None


def _setting(name, default=None):
    return getattr(_settings(), name, default)


def _provider():
    return _setting("PROVIDER") or "aws"


def current_function():
    """The deployed function this code runs in, or None (not deployed: run inline)."""
    provider = _provider()
    if provider == "local":
        return _setting("FUNCTION_NAME") if os.environ.get("HOIST_LOCAL_CONTROL") else None
    if provider == "aliyun":
        return os.environ.get("FC_FUNCTION_NAME")
    if provider == "tencent":
        return os.environ.get("SCF_FUNCTIONNAME")
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME")


def validate_json_serializable(*args, **kwargs):
    try:
        json.dumps((args, kwargs))
    except (TypeError, OverflowError, ValueError):
        raise UnserializableJsonError("Arguments to an asynchronous task must be JSON "
                                      "serializable!")


# ---- sending ---------------------------------------------------------------------------

class LambdaAsyncResponse(object):
    """Sends a task as an asynchronous invocation; .sent, .response_id, .response."""

    command = LAMBDA_COMMAND

    def __init__(self, lambda_function_name=None, aws_region=None, capture_response=False,
                 **kwargs):
        self.lambda_function_name = lambda_function_name
        self.aws_region = aws_region
        self.provider = _provider()
        self.sent = False
        self.response = None
        self.response_id = None
        if capture_response and not _setting("ASYNC_RESPONSE_TABLE"):
            print("Warning! Attempted to capture a response without async_response_table "
                  "configured in settings (you won't capture async responses).")
            capture_response = False
            self.response_id = "MISCONFIGURED"
        elif capture_response:
            self.response_id = str(uuid.uuid4())
        self.capture_response = capture_response
        self.arn = kwargs.get("arn")

    def send(self, task_path, args, kwargs):
        message = {"task_path": task_path, "capture_response": self.capture_response,
                   "response_id": self.response_id, "args": list(args), "kwargs": kwargs}
        self._send(message)
        return self

    def _payload(self, message):
        message["command"] = self.command
        payload = json.dumps(message).encode("utf-8")
        limit = PAYLOAD_LIMITS.get(self.provider, LAMBDA_ASYNC_PAYLOAD_LIMIT)
        if len(payload) > limit:
            raise AsyncException("Payload too large for an asynchronous task: %d bytes, the "
                                 "%s limit is %d bytes" % (len(payload), self.provider, limit))
        return payload

    def _send(self, message):
        payload = self._payload(message)
        if self.provider == "local":
            self.response = _local_invoke(self.lambda_function_name, payload)
            self.sent = bool(self.response.get("ok"))
        elif self.provider in ("aliyun", "tencent"):
            self.response = _cloud_invoke(self.provider, self.lambda_function_name, payload,
                                          self.aws_region)
            self.sent = bool(self.response)
        else:
            import hoist_aws
            status = hoist_aws.lambda_invoke_event(self.lambda_function_name, payload,
                                                   self.aws_region)
            self.response = {"StatusCode": status}
            self.sent = status == 202


class SnsAsyncResponse(LambdaAsyncResponse):
    """Publishes a task to the function's SNS topic (<function>-zappa-async)."""

    command = SNS_COMMAND

    def _send(self, message):
        payload = self._payload(message)
        if self.provider != "aws":   # no SNS here: the notification's shape, same queue
            wrapped = json.dumps(_sns_event(payload.decode("utf-8"))).encode()
            if self.provider == "local":
                self.response = _local_invoke(self.lambda_function_name, wrapped)
                self.sent = self.response.get("request_id") if self.response.get("ok") else None
            else:
                self.response = _cloud_invoke(self.provider, self.lambda_function_name, wrapped,
                                              self.aws_region)
                self.sent = self.response
            return
        import hoist_aws
        arn = self.arn or "arn:%s:sns:%s:%s:%s" % (
            _partition(self.aws_region), hoist_aws.region_of(self.aws_region),
            _account(self.aws_region), get_topic_name(self.lambda_function_name))
        self.response = {"MessageId": hoist_aws.sns_publish(arn, payload.decode("utf-8"),
                                                            self.aws_region)}
        self.sent = self.response["MessageId"]


AsyncResponse = LambdaAsyncResponse
ASYNC_CLASSES = {"lambda": LambdaAsyncResponse, "sns": SnsAsyncResponse}


def get_topic_name(lambda_name):
    """The SNS topic of a function's tasks (Zappa's name, so a takeover keeps it)."""
    return "%s-zappa-async" % lambda_name


def _partition(region):
    import hoist_aws
    return "aws-cn" if hoist_aws.region_of(region).startswith("cn-") else "aws"


def _account(region):
    handler = sys.modules.get("hoist_handler")
    arn = getattr(getattr(handler, "current_context", None), "invoked_function_arn", "") or ""
    parts = arn.split(":")
    if len(parts) > 4 and parts[4].isdigit():
        return parts[4]
    import hoist_aws
    return hoist_aws.account_id(region)


def _sns_event(message):
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()),
                                 "Message": message, "TopicArn": "hoist-local:tasks"}}]}


# ---- Alibaba Cloud, Tencent Cloud -----------------------------------------------------------

def _cloud_invoke(provider, function, payload, region):
    """FC InvokeFunction (x-fc-invocation-type Async) or SCF Invoke (Event): a
    true value (202 / the request id) once the provider has queued it."""
    if provider == "aliyun":
        import hoist_aliyun
        return hoist_aliyun.fc_invoke_async(function, payload, region) == 202
    import hoist_tencent
    # the function itself: on the stage's alias (the version the stage serves)
    qualifier = _tencent_alias() if function == os.environ.get("SCF_FUNCTIONNAME") else None
    return hoist_tencent.scf_invoke_event(function, payload.decode("utf-8"), region,
                                          qualifier=qualifier)


def _tencent_alias():
    """The stage's SCF alias, as providers/tencent/ctx.c names it (a letter first)."""
    stage = _setting("STAGE") or ""
    return stage if stage[:1].isalpha() else "s" + stage


def _tencent_appid():
    """The AppId of the account the function runs in: SCF's environment, else its context."""
    appid = os.environ.get("TENCENTCLOUD_APPID")
    if not appid:
        context = getattr(sys.modules.get("hoist_handler"), "current_context", None)
        if isinstance(context, dict):
            appid = context.get("tencentcloud_appid")
        else:
            appid = getattr(context, "tencentcloud_appid", None)
    if not appid:
        raise AsyncException("no TENCENTCLOUD_APPID in the environment or the invocation's "
                             "context: cannot name the stage's COS bucket")
    return str(appid)


def _object_store():
    """(get, put, bucket, key prefix) for responses kept as objects (aliyun, tencent)."""
    bucket = _setting("ASYNC_RESPONSE_BUCKET")
    if not bucket and _provider() == "aliyun" and os.environ.get("FC_ACCOUNT_ID"):
        # the provider's default bucket (providers/aliyun/oss.c)
        bucket = "hoist-%s-%s" % (os.environ["FC_ACCOUNT_ID"],
                                  os.environ.get("FC_REGION") or "cn-hangzhou")
    if _provider() == "tencent":
        # providers/tencent/cos.c: s3_bucket (its name without -<appid>), else hoist-<region>
        import hoist_tencent
        bucket = "%s-%s" % (bucket or "hoist-%s" % hoist_tencent.region_of(), _tencent_appid())
    if not bucket:
        raise AsyncException("no bucket for captured responses: set s3_bucket (the stage's "
                             "object storage bucket)")
    if _provider() == "aliyun":
        import hoist_aliyun as m
        return m.oss_get, m.oss_put, bucket
    import hoist_tencent as m
    return m.cos_get, m.cos_put, bucket


def _object_key(response_id):
    """Under the function's prefix, which undeploy's artifact cleanup removes."""
    return "%s/async-responses/%s/%s.json" % (_setting("FUNCTION_NAME"),
                                              _setting("ASYNC_RESPONSE_TABLE"),
                                              os.path.basename(str(response_id)))


# ---- local: the gateway's control socket --------------------------------------------------

def _local_dir(function=None):
    ctl = os.environ.get("HOIST_LOCAL_CONTROL")
    if not ctl:
        raise AsyncException("not running under the local gateway (HOIST_LOCAL_CONTROL unset)")
    here = os.path.dirname(ctl)
    if function and function != _setting("FUNCTION_NAME"):
        return os.path.join(os.path.dirname(here), function)
    return here


def _local_invoke(function, payload):
    import socket
    path = os.path.join(_local_dir(function), "control.sock")
    request = json.dumps({"cmd": "invoke_async", "event": json.loads(payload.decode("utf-8"))})
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(10)
        s.connect(path)
        s.sendall(request.encode("utf-8"))
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise AsyncException("the local gateway of %s is not answering (%s)" % (function, exc))
    finally:
        s.close()
    answer = json.loads(b"".join(chunks).decode("utf-8") or "{}")
    if not answer.get("ok"):
        raise AsyncException("the local gateway refused the task: %s" % answer.get("error"))
    return answer


# ---- responses ----------------------------------------------------------------------------

def _item(response_id, status, response):
    return {"id": response_id, "async_status": status, "async_response": json.dumps(response),
            "ttl": int(time.time() + RESPONSE_TTL)}


def _store(response_id, status, response):
    table = _setting("ASYNC_RESPONSE_TABLE")
    if _provider() in ("aliyun", "tencent"):
        _, put, bucket = _object_store()
        put(bucket, _object_key(response_id),
            json.dumps(_item(response_id, status, response)).encode("utf-8"))
        return
    if _provider() == "local":
        d = os.path.join(_local_dir(), "async_responses", table)
        os.makedirs(d, mode=0o700, exist_ok=True)
        tmp = os.path.join(d, ".%s.%d" % (response_id, os.getpid()))
        with open(tmp, "w") as f:
            json.dump(_item(response_id, status, response), f)
        os.replace(tmp, os.path.join(d, "%s.json" % response_id))
        return
    import hoist_aws
    if status == "in progress":
        hoist_aws.dynamodb("PutItem", {"TableName": table, "Item": {
            "id": {"S": str(response_id)}, "ttl": {"N": str(int(time.time() + RESPONSE_TTL))},
            "async_status": {"S": status}, "async_response": {"S": json.dumps(response)}}})
    else:
        hoist_aws.dynamodb("UpdateItem", {
            "TableName": table, "Key": {"id": {"S": str(response_id)}},
            "UpdateExpression": "SET async_response = :r, async_status = :s",
            "ExpressionAttributeValues": {":r": {"S": json.dumps(response)},
                                          ":s": {"S": status}}})


def get_async_response(response_id):
    """{"status": "in progress" | "complete", "response": value}, or None when unknown."""
    table = _setting("ASYNC_RESPONSE_TABLE")
    if not table:
        raise AsyncException("async_response_table is not set in the stage's settings")
    if _provider() in ("aliyun", "tencent"):
        get, _, bucket = _object_store()
        try:
            item = json.loads(get(bucket, _object_key(response_id)).decode("utf-8"))
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        return {"status": item["async_status"], "response": json.loads(item["async_response"])}
    if _provider() == "local":
        path = os.path.join(_local_dir(), "async_responses", table,
                            "%s.json" % os.path.basename(str(response_id)))
        try:
            with open(path) as f:
                item = json.load(f)
        except (OSError, ValueError):
            return None
        return {"status": item["async_status"], "response": json.loads(item["async_response"])}
    import hoist_aws
    out = hoist_aws.dynamodb("GetItem", {"TableName": table,
                                         "Key": {"id": {"S": str(response_id)}}})
    item = out.get("Item")
    if not item:
        return None
    return {"status": item["async_status"]["S"],
            "response": json.loads(item["async_response"]["S"])}


# ---- receiving -------------------------------------------------------------------------------

def import_and_get_task(task_path):
    import hoist_invoke
    return hoist_invoke.resolve(task_path)


def run_message(message):
    """Run the task a payload names (its .sync when decorated); capture its result."""
    capture = message.get("capture_response") and message.get("response_id") and \
        _setting("ASYNC_RESPONSE_TABLE")
    if capture:
        _store(message["response_id"], "in progress", "N/A")
    func = import_and_get_task(message["task_path"])
    func = getattr(func, "sync", func)
    response = func(*(message.get("args") or []), **(message.get("kwargs") or {}))
    if capture:
        _store(message["response_id"], "complete", response)
    return response


def route_lambda_task(event, context=None):
    return run_message(event)


def route_sns_task(event, context=None):
    return run_message(json.loads(event["Records"][0]["Sns"]["Message"]))


# ---- the decorator and run() --------------------------------------------------------------------

def get_func_task_path(func):
    import inspect
    return "%s.%s" % (inspect.getmodule(func).__name__, func.__name__)


def run(func, args=[], kwargs={}, service="lambda", capture_response=False,
        remote_aws_lambda_function_name=None, remote_aws_region=None, **task_kwargs):
    """Run func(*args, **kwargs) asynchronously (inline outside a deployed function)."""
    name = remote_aws_lambda_function_name or current_function()
    if service not in ASYNC_CLASSES:
        raise AsyncException("unknown task service %r (lambda or sns)" % (service,))
    if not name:
        validate_json_serializable(*args, **kwargs)
        return func(*args, **kwargs)
    return ASYNC_CLASSES[service](lambda_function_name=name, aws_region=remote_aws_region,
                                  capture_response=capture_response,
                                  **task_kwargs).send(get_func_task_path(func), args, kwargs)


def task(*args, **kwargs):
    """@task, @task(service="sns", capture_response=True, remote_aws_lambda_function_name=...)."""
    func = args[0] if len(args) == 1 and callable(args[0]) else None
    service = kwargs.get("service", "lambda")
    remote_name = kwargs.get("remote_aws_lambda_function_name")
    remote_region = kwargs.get("remote_aws_region")
    capture_response = kwargs.get("capture_response", False)
    extra = {k: v for k, v in kwargs.items() if k == "arn"}

    def func_wrapper(func):
        task_path = get_func_task_path(func)

        @wraps(func)
        def _run_async(*a, **kw):
            name = remote_name or current_function()
            if service in ASYNC_CLASSES and name:
                return ASYNC_CLASSES[service](lambda_function_name=name, aws_region=remote_region,
                                              capture_response=capture_response,
                                              **extra).send(task_path, a, kw)
            validate_json_serializable(*a, **kw)
            return func(*a, **kw)

        update_wrapper(_run_async, func)
        _run_async.service = service
        _run_async.sync = func
        return _run_async

    return func_wrapper(func) if func else func_wrapper


def task_sns(func):
    """SNS-based task dispatcher; otherwise the same as task()."""
    return task(func, service="sns")

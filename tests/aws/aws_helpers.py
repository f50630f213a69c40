"""Plain helpers for tests/aws (importable by test modules, unlike conftest)."""
import json
import os
import subprocess
import urllib.request

from fakecloud.fakeaws import ACCOUNT, DEFAULT_KEYS  # noqa: F401
from held import wait_for  # noqa: F401  (the tests import it from here)

AKID, SECRET = next(iter(DEFAULT_KEYS.items()))
REGION = "us-east-1"
BUCKET = f"hoist-{ACCOUNT}-{REGION}"
KEY = f"hoist-locks/{REGION}/hoistapp-dev.json"   # the stage lock's marker of stage dev


def fake_requests(fake_aws, service=None, operation=None):
    """The signed requests the fake received, optionally filtered."""
    with urllib.request.urlopen(fake_aws.url + "/__fake/requests") as r:
        reqs = json.load(r)
    return [q for q in reqs if (service is None or q["service"] == service)
            and (operation is None or q["operation"] == operation)]


def fake_post(fake_aws, path, doc):
    req = urllib.request.Request(fake_aws.url + path, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def state(fake_aws):
    """The fake's whole state (functions, APIs, rules, …) as JSON."""
    with urllib.request.urlopen(fake_aws.url + "/__fake/state") as r:
        return json.load(r)


def ops_since(fake_aws, n0):
    """Operation names of the requests after the first n0."""
    return [q["operation"] for q in fake_requests(fake_aws)[n0:]]


def marker(fake_aws):
    """The stage lock marker of hoistapp-dev in the fake's S3, or None."""
    objs = state(fake_aws).get("s3", {}).get(BUCKET, {}).get("objects", {})
    return objs.get(KEY)


def env_of(tmp_path, aws_env, state_dir="state"):
    """The environment the `run` fixture gives hoist (for Popen); another state_dir
    stands for another machine."""
    e = dict(os.environ, HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / state_dir))
    e.pop("VIRTUAL_ENV", None)
    for k, v in aws_env.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    return e


def start(hoist, args, cwd, env):
    """hoist in the background (pipes for stdout/stderr)."""
    return subprocess.Popen([hoist] + args, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)




def write_handler(zf, function="hoistapp-dev"):
    """The two files `--zip` wants at a package's root: a handler and a settings module
    naming the stage's function (what `hoist package` writes)."""
    zf.writestr("hoist_handler.py", "def handler(event, context):\n    return event\n")
    zf.writestr("hoist_settings.py", 'FUNCTION_NAME = "%s"\n' % function)

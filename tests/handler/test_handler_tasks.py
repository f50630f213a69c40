"""hoist_tasks in the handler (issue 13): Zappa's import paths resolve to it,
tasks run inline outside a deployed function, the handler runs Zappa's wire
payloads (direct and SNS-wrapped) once and in line (never re-sent), a failing
task reaches exception_handler and is re-raised, rules named the way Zappa
names them are routed, the payload limit is checked before anything is sent,
and remote_env is loaded from a file at cold start."""
import importlib
import json
import os
import sys

import pytest

from handler_support import load_event


@pytest.fixture
def handler(load_handler, monkeypatch):
    for k in ("AWS_LAMBDA_FUNCTION_NAME", "HOIST_LOCAL_CONTROL", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(k, raising=False)
    h = load_handler(APP_FUNCTION="wsgi_plain.app", EXCEPTION_HANDLER="jobs.handle_exception",
                     ASYNC_RESPONSE_TABLE="responses")
    for m in [m for m in sys.modules if m.split(".")[0] in ("zappa", "tasks_app")]:
        del sys.modules[m]
    import jobs
    del jobs.calls[:]
    yield h
    for m in [m for m in sys.modules if m.split(".")[0] in ("zappa", "tasks_app")]:
        del sys.modules[m]


def wire(task_path, args, kwargs=None, command="zappa.asynchronous.route_lambda_task"):
    return {"command": command, "task_path": task_path, "args": args, "kwargs": kwargs or {},
            "capture_response": False, "response_id": None}


def sns_wrapped(message):
    event = load_event("sns")
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def test_zappa_import_paths_are_hoist_tasks(handler):
    import hoist_tasks
    import zappa.asynchronous
    assert zappa.asynchronous is hoist_tasks
    assert importlib.import_module("zappa.async") is hoist_tasks
    from zappa.asynchronous import get_async_response, run, task, task_sns  # noqa: F401
    assert task is hoist_tasks.task and get_async_response is hoist_tasks.get_async_response
    with pytest.raises(ImportError):
        importlib.import_module("zappa.cli")


def test_a_real_zappa_in_the_archive_wins(handler, tmp_path):
    pkg = tmp_path / "zappa"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "asynchronous.py").write_text("REAL = True\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import zappa.asynchronous
        assert zappa.asynchronous.REAL
    finally:
        sys.path.remove(str(tmp_path))


def test_tasks_run_inline_outside_a_function(handler):
    import tasks_app
    assert tasks_app.add(2, 3) == 5
    assert tasks_app.notify("hi") == "hi"
    assert tasks_app.captured(7) == {"x": 7}
    assert tasks_app.add.sync(1, 1) == 2 and tasks_app.add.service == "lambda"
    assert tasks_app.notify.service == "sns"
    import hoist_tasks
    assert hoist_tasks.run(tasks_app.plain, [5], {"b": 2}) == 3
    assert tasks_app.ran == [("add", 2, 3), ("notify", "hi"), ("captured", 7), ("add", 1, 1),
                             ("plain", 5, 2)]
    with pytest.raises(hoist_tasks.UnserializableJsonError):
        tasks_app.add(object(), 1)


@pytest.mark.parametrize("command", ["zappa.asynchronous.route_lambda_task",
                                     "hoist_tasks.route_lambda_task"])
def test_direct_wire_payload_runs_the_task_once_in_line(handler, monkeypatch, command):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "demo-dev")   # inside the function:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")   # sending would fail
    got = handler.handler(wire("tasks_app.add", [4, 5], command=command), None)
    assert got == {"result": 9}
    import tasks_app
    assert tasks_app.ran == [("add", 4, 5)]


@pytest.mark.parametrize("command", ["zappa.asynchronous.route_sns_task",
                                     "hoist_tasks.route_sns_task"])
def test_sns_wrapped_wire_payload(handler, monkeypatch, command):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "demo-dev")
    got = handler.handler(sns_wrapped(wire("tasks_app.notify", ["hey"], command=command)), None)
    assert got == {"result": "hey"}
    import tasks_app
    assert tasks_app.ran == [("notify", "hey")]


def test_undecorated_function_by_task_path(handler):
    assert handler.handler(wire("tasks_app.plain", [9], {"b": 4}), None) == {"result": 5}


def test_failing_task_reaches_exception_handler_and_is_raised(handler, monkeypatch):
    import jobs
    with pytest.raises(RuntimeError, match="task failed"):
        handler.handler(wire("tasks_app.boom", []), None)
    assert jobs.calls == [("exception_handler", "RuntimeError", sorted(wire("x", [])))]
    monkeypatch.setenv("HOIST_TEST_SUPPRESS", "1")     # a true answer: no retry
    assert handler.handler(wire("tasks_app.boom", []), None) == \
        {"error": "RuntimeError: task failed"}


def test_payload_limit_is_checked_before_sending(handler, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "demo-dev")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    import hoist_tasks
    import tasks_app
    with pytest.raises(hoist_tasks.AsyncException, match="262144"):
        tasks_app.add("x" * 300000, "y")
    assert tasks_app.ran == []


def test_capture_without_a_table_warns_like_zappa(load_handler, monkeypatch, capsys):
    load_handler(APP_FUNCTION="wsgi_plain.app")
    import hoist_tasks
    r = hoist_tasks.LambdaAsyncResponse("demo-dev", capture_response=True)
    assert r.response_id == "MISCONFIGURED" and r.capture_response is False
    assert "async_response_table" in capsys.readouterr().out


# ---- rules Zappa created ------------------------------------------------------------

def zappa_rule_event(rule, kwargs=None):
    event = load_event("aws_schedule")
    event["resources"] = ["arn:aws:events:us-east-1:123456789012:rule/" + rule]
    event["kwargs"] = kwargs or {}
    return event


def test_zappa_named_rule_runs_its_function(handler):
    import jobs
    event = zappa_rule_event("demo-dev-jobs.two", {"a": 1})
    got = handler.handler(event, None)
    assert got == {"result": {"event_keys": sorted(event)}, "output": ""}
    assert jobs.calls == [("two", event, None)]


def test_zappa_hashed_and_indexed_rule_names(handler):
    import jobs
    handler.handler(zappa_rule_event("0b4cbf3c8a2a5b1e7e1f1f3d-1-nightly-jobs.one"), None)
    assert [c[0] for c in jobs.calls] == ["one"]


def test_zappa_keep_warm_rule_is_keep_warm(handler):
    import jobs
    got = handler.handler(zappa_rule_event("demo-dev-zappa-keep-warm-handler.keep_warm_callback"),
                          None)
    assert got == {"result": "warm"}
    assert jobs.calls == []


# ---- remote_env ---------------------------------------------------------------------------

def test_remote_env_file_is_merged_before_the_app(load_handler, tmp_path, monkeypatch):
    f = tmp_path / "env.json"
    f.write_text(json.dumps({"FROM_REMOTE": "r", "BOTH": "remote", "NUM": 3}))
    monkeypatch.setenv("FROM_PROVIDER", "p")
    load_handler(APP_FUNCTION="wsgi_plain.app", REMOTE_ENV=str(f),
                 ENVIRONMENT_VARIABLES={"BOTH": "settings"})
    assert os.environ["FROM_REMOTE"] == "r" and os.environ["NUM"] == "3"
    assert os.environ["BOTH"] == "settings" and os.environ["FROM_PROVIDER"] == "p"


def test_unreadable_remote_env_is_logged_not_fatal(load_handler, tmp_path, caplog):
    load_handler(APP_FUNCTION="wsgi_plain.app", REMOTE_ENV=str(tmp_path / "missing.json"))
    assert "could not load remote_env" in caplog.text


# ---- tencent: where the function's own calls go ---------------------------------------

@pytest.mark.parametrize("stage,alias", [("dev", "dev"), ("2024", "s2024")])
def test_tencent_tasks_go_to_the_stage_alias(load_handler, monkeypatch, stage, alias):
    load_handler(APP_FUNCTION="wsgi_plain.app", PROVIDER="tencent", STAGE=stage)
    import hoist_tasks
    import hoist_tencent
    sent = []
    monkeypatch.setattr(hoist_tencent, "scf_invoke_event",
                        lambda fn, ev, region, qualifier=None: sent.append((fn, qualifier)) or "r")
    monkeypatch.setenv("SCF_FUNCTIONNAME", "demo-" + stage)
    hoist_tasks._cloud_invoke("tencent", "demo-" + stage, b"{}", None)
    hoist_tasks._cloud_invoke("tencent", "other-fn", b"{}", None)    # not ours: no alias
    assert sent == [("demo-" + stage, alias), ("other-fn", None)]


@pytest.mark.parametrize("bucket,name", [(None, "hoist-ap-shanghai-1250000000"),
                                         ("mine", "mine-1250000000")])
def test_tencent_response_bucket_carries_the_appid(load_handler, monkeypatch, bucket, name):
    load_handler(APP_FUNCTION="wsgi_plain.app", PROVIDER="tencent",
                 ASYNC_RESPONSE_TABLE="pies", ASYNC_RESPONSE_BUCKET=bucket)
    import hoist_tasks
    monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-shanghai")
    monkeypatch.delenv("TENCENTCLOUD_APPID", raising=False)
    with pytest.raises(hoist_tasks.AsyncException, match="TENCENTCLOUD_APPID"):
        hoist_tasks._object_store()
    monkeypatch.setenv("TENCENTCLOUD_APPID", "1250000000")
    assert hoist_tasks._object_store()[2] == name

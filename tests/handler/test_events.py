"""Timers, invoke/manage commands and event-source records: the right function
is called with the right arguments, and mistakes give clear error results."""
import json
import os

import pytest

from handler_support import load_event

EVENTS = {"nightly": {"function": "jobs.two", "kwargs": {}},
          "weekly": {"function": "jobs.kw", "kwargs": {"name": "ab", "times": 3}}}
SOURCES = [{"arn": "arn:aws:s3:::demo-uploads", "function": "jobs.two"},
           {"arn": "arn:aws:sns:us-east-1:123456789012:demo-topic", "function": "jobs.one"},
           {"arn": "arn:aws:sqs:us-east-1:123456789012:demo-queue", "function": "jobs.fails"}]


@pytest.fixture
def handler(load_handler):
    h = load_handler(APP_FUNCTION="wsgi_plain.app", EVENTS=EVENTS, EVENT_SOURCES=SOURCES,
                     EXCEPTION_HANDLER="jobs.handle_exception",
                     ENVIRONMENT_VARIABLES={"HOIST_TEST_VAR": "baked", "HOME": "/nope"})
    import jobs
    del jobs.calls[:]
    return h


def calls():
    import jobs
    return list(jobs.calls)


class Ctx(object):
    function_name = "demo-dev"


# ---- timers -----------------------------------------------------------------

def test_hoist_timer_payload_with_kwargs(handler):
    event = {"hoist_event": {"name": "weekly", "function": "jobs.kw", "kwargs": {"name": "x"}}}
    assert handler.handler(event, None) == {"result": "x", "output": ""}
    assert calls() == [("kw", "x", 1)]


def test_hoist_timer_by_name_only_uses_events(handler):
    assert handler.handler({"hoist_event": {"name": "weekly"}}, None) == \
        {"result": "ababab", "output": ""}
    assert calls() == [("kw", "ab", 3)]


def test_eventbridge_scheduled_event_by_rule_name(handler):
    event, ctx = load_event("aws_schedule"), Ctx()
    got = handler.handler(event, ctx)
    assert got == {"result": {"event_keys": sorted(event)}, "output": ""}
    assert calls() == [("two", event, ctx)]


def test_alibaba_timer_payload(handler):
    got = handler.handler(json.dumps(load_event("aliyun_timer")).encode(), None)
    assert got == {"result": "fcfc", "output": ""}
    assert calls() == [("kw", "fc", 2)]


def test_alibaba_timer_without_hoist_payload_maps_by_trigger_name(handler):
    event = {"triggerTime": "2026-11-21T10:00:00Z", "triggerName": "demo-dev-weekly",
             "payload": "plain text"}
    assert handler.handler(event, None) == {"result": "ababab", "output": ""}


def test_tencent_timer(handler):
    event = load_event("tencent_timer")
    got = handler.handler(event, None)
    assert got == {"result": {"event_keys": ["Message", "Time", "TriggerName", "Type"]},
                   "output": ""}
    assert calls() == [("two", event, None)]


def test_unknown_timer_is_a_clear_error(handler):
    got = handler.handler({"hoist_event": {"name": "hourly"}}, None)
    assert got == {"error": "FunctionNotFound: no function is configured for the event "
                            "'hourly' (known: nightly, weekly)", "output": ""}


def test_timer_naming_a_missing_function(handler):
    got = handler.handler({"hoist_event": {"name": "x", "function": "jobs.nosuch"}}, None)
    assert got["error"] == ("FunctionNotFound: module 'jobs' has no attribute 'nosuch' "
                            "(looking for 'jobs.nosuch')")
    assert got["traceback"].startswith("Traceback") and got["output"] == ""


# ---- invoke -----------------------------------------------------------------------

def test_invoke_command_argument_styles(handler, capsys):
    ctx = Ctx()
    assert handler.handler({"command": "jobs.none"}, ctx) == \
        {"result": None, "output": "none was called\n"}
    assert capsys.readouterr().out == "none was called\n"    # also reaches the real stdout
    event = {"command": "jobs.one"}
    assert handler.handler(event, ctx) == {"result": "one", "output": ""}
    event2 = {"command": "jobs.two"}
    assert handler.handler(event2, ctx) == {"result": {"event_keys": ["command"]}, "output": ""}
    assert handler.handler({"command": "jobs.kw", "kwargs": {"name": "z", "times": 2}}, ctx) == \
        {"result": "zz", "output": ""}
    assert calls() == [("none",), ("one", event), ("two", event2, ctx), ("kw", "z", 2)]


def test_invoke_result_that_is_not_json_is_its_repr(handler):
    assert handler.handler({"command": "jobs.not_json"}, None) == \
        {"result": "<NotJson>", "output": ""}


def test_invoke_unknown_module_and_function(handler):
    got = handler.handler({"command": "nosuch.func"}, None)
    assert got["error"] == "FunctionNotFound: no module named 'nosuch' (looking for 'nosuch.func')"
    got = handler.handler({"command": "jobs"}, None)
    assert got["error"] == "FunctionNotFound: 'jobs' is not of the form module.function"


def test_raw_command(handler):
    got = handler.handler({"raw_command": "import os\nprint('hi')\nx = 6\nx * 7"}, None)
    assert got == {"result": 42, "output": "hi\n"}
    got = handler.handler({"raw_command": "print('before')\nraise KeyError('k')"}, None)
    assert got["error"] == "KeyError: 'k'"
    assert got["output"] == "before\n"
    assert "<raw_command>" in got["traceback"]


def test_environment_variables_are_applied_without_overriding(handler):
    got = handler.handler({"command": "jobs.env", "kwargs": {"key": "HOIST_TEST_VAR"}}, None)
    assert got["result"] == "baked"
    assert os.environ["HOME"] != "/nope"


def test_manage_runs_a_django_command(load_handler):
    h = load_handler(DJANGO_SETTINGS="djproject.settings")
    assert h.handler({"manage": "greet world --shout"}, None) == \
        {"result": None, "output": "HELLO WORLD\n"}
    got = h.handler({"manage": "nosuchcommand"}, None)
    assert got["error"] == "CommandError: Unknown command: 'nosuchcommand'"


def test_unknown_event_is_an_error_result(handler):
    assert handler.handler({"hello": 1, "Zed": 2}, None) == \
        {"error": "UnknownEvent: hoist does not recognise this event (keys: Zed, hello)"}
    assert handler.handler(b"not json", None)["error"].startswith(
        "UnknownEvent: the event is not JSON")


# ---- records ---------------------------------------------------------------------

def test_s3_record_goes_to_its_function(handler):
    event = load_event("s3_put")
    assert handler.handler(event, None) == {"result": {"event_keys": ["Records"]}, "output": ""}
    assert calls() == [("two", event, None)]


def test_sns_record_matches_the_topic(handler):
    event = load_event("sns")
    assert handler.handler(event, None) == {"result": "one", "output": ""}
    assert calls() == [("one", event)]


def test_failing_record_function_calls_exception_handler_and_raises(handler):
    with pytest.raises(ValueError, match="bad record"):
        handler.handler(load_event("sqs"), None)
    assert calls() == [("exception_handler", "ValueError", ["Records"])]


def test_exception_handler_can_swallow_a_record_failure(handler):
    os.environ["HOIST_TEST_SUPPRESS"] = "1"
    assert handler.handler(load_event("sqs"), None) == \
        {"error": "ValueError: bad record", "output": ""}


def test_record_from_an_unknown_source(handler):
    event = load_event("sqs")
    event["Records"][0]["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:other"
    assert handler.handler(event, None) == {
        "error": "FunctionNotFound: no function is configured for the event source "
                 "arn:aws:sqs:us-east-1:123456789012:other", "output": ""}

"""hoist schedule / unschedule on Tencent: one SCF timer trigger per timer,
on the stage alias, in Tencent's 7-field cron (seconds … year) translated
from the AWS-style expression, kwargs in the CustomArgument the handler
reads; re-running converges (unchanged: no write; changed: UpdateTrigger;
gone: DeleteTrigger); a timer run by the fake calls the configured function."""
import json

from tc_helpers import fake_requests, state

FN = "hoistapp-dev"
WRITES = {"CreateTrigger", "UpdateTrigger", "DeleteTrigger"}


def timers(fake):
    return {t["TriggerName"]: t for t in state(fake)["scf"][FN]["triggers"] if t["Type"] == "timer"}


def test_schedule_converges(run, tc_env, tc_project, tc_fake):
    events = [{"function": "tasks.cleanup", "expression": "cron(30 2 ? * MON-FRI *)"},
              {"name": "report", "function": "tasks.report", "expression": "rate(15 minutes)",
               "kwargs": {"who": "ops", "n": 2}},
              {"function": "tasks.cleanup", "name": "off", "expression": "rate(1 hour)",
               "enabled": False}]
    d = tc_project({"events": events, "keep_warm": True})
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    t = timers(tc_fake)
    assert {k: (v["TriggerDesc"], v["Qualifier"], v["Enable"]) for k, v in t.items()} == {
        f"{FN}-tasks-cleanup": ("0 30 2 ? * MON-FRI *", "dev", 1),
        f"{FN}-report": ("0 */15 * * * * *", "dev", 1),
        f"{FN}-off": ("0 0 * * * * *", "dev", 0),
        f"{FN}-keep_warm": ("0 */4 * * * * *", "dev", 1),
    }
    arg = json.loads(t[f"{FN}-report"]["CustomArgument"])
    assert arg == {"hoist_event": {"name": "report", "function": "tasks.report",
                                   "kwargs": {"who": "ops", "n": 2},
                                   "expression": "rate(15 minutes)"}}

    # unchanged: no write
    n0 = len(fake_requests(tc_fake))
    r = run(["--json", "schedule", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert not [q for q in fake_requests(tc_fake)[n0:] if q["action"] in WRITES]
    got = json.loads(r.stdout)
    scheds = got["schedules"] if isinstance(got, dict) and "schedules" in got else got
    assert sorted(s["cron"] for s in scheds) == sorted(x["TriggerDesc"] for x in t.values())

    # one changed, one removed, keep_warm off: exactly those writes
    events[1]["expression"] = "cron(0 12 * * ? *)"
    del events[2]
    d = tc_project({"events": events, "keep_warm": False})
    n0 = len(fake_requests(tc_fake))
    r = run(["schedule", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    writes = sorted((q["action"], q["params"]["TriggerName"]) for q in fake_requests(tc_fake)[n0:]
                    if q["action"] in WRITES)
    assert writes == [("DeleteTrigger", f"{FN}-keep_warm"), ("DeleteTrigger", f"{FN}-off"),
                      ("UpdateTrigger", f"{FN}-report")]
    assert timers(tc_fake)[f"{FN}-report"]["TriggerDesc"] == "0 0 12 * * ? *"

    # the handler gets the timer event SCF sends and calls the function with its kwargs
    from fakecloud.tc_scf import run_function
    t = timers(tc_fake)[f"{FN}-report"]
    event = {"Type": "Timer", "TriggerName": t["TriggerName"], "Time": "2026-01-01T12:00:00Z",
             "Message": t["CustomArgument"]}
    result, text, _, _ = run_function(tc_fake, FN, "dev", event)
    assert result == {"ok": {"result": {"who": "ops", "n": 2}, "output": ""}}, text

    # unschedule: no timers, the URL stays
    r = run(["unschedule", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    assert timers(tc_fake) == {}
    assert [x["Type"] for x in state(tc_fake)["scf"][FN]["triggers"]] == ["http"]


def test_long_event_names_are_cut_with_a_hash(run, tc_env, tc_project, tc_fake):
    name = "a-very-long-event-name-that-does-not-fit-in-sixty-characters"
    d = tc_project({"events": [{"name": name, "function": "tasks.cleanup",
                                "expression": "rate(5 minutes)"}]})
    r = run(["deploy", "dev"], cwd=d, env=tc_env)
    assert r.returncode == 0, r.stderr
    [t] = timers(tc_fake)
    assert len(t) == 60 and t.startswith(f"{FN}-a-very-long") and t[-9] == "-"

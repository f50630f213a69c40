"""The --json contract of hoist(1) on a real (local) stage: every command
prints exactly one JSON document on stdout, errors included as
{"error": {"exit_status", "message"}} with the exit status unchanged; tail
prints one object per line; --all prints one array, an element per stage."""
import json


def one_doc(r):
    """stdout is exactly one JSON document (json.loads refuses anything more)."""
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout)


def test_every_command_prints_one_document(make_stage):
    s = make_stage(settings={"events": [{"function": "tasks.tick",
                                         "expression": "rate(1 minute)"}]})
    r = s.run("deploy", s.name, "--json")
    assert r.returncode == 0, r.stderr
    assert one_doc(r) == {"stage": "dev", "url": s.url, "action": "deploy"}

    (s.proj / "app.py").write_text((s.proj / "app.py").read_text() + "\n# v2\n")
    r = s.run("--json", "update", s.name)
    assert r.returncode == 0, r.stderr
    assert one_doc(r)["action"] == "update"

    r = s.run("status", s.name, "--json")
    doc = one_doc(r)
    assert doc["stage"] == "dev" and doc["url"] == s.url

    r = s.run("schedule", s.name, "--json")
    doc = one_doc(r)
    assert doc["stage"] == "dev" and [x["expression"] for x in doc["schedules"]] == \
        ["rate(1 minute)"]

    r = s.run("unschedule", s.name, "--json")
    assert r.returncode == 0, r.stderr
    assert one_doc(r) == {"stage": "dev", "action": "unschedule"}

    r = s.run("invoke", s.name, "tasks.tick", "--json")
    assert r.returncode == 0, r.stderr
    assert one_doc(r)["result"] == "ticked"

    # a raised exception: one document, its error inside, exit 1
    r = s.run("invoke", s.name, "--raw", "print('hi'); 1/0", "--json")
    assert r.returncode == 1
    doc = one_doc(r)
    assert doc["stage"] == "dev" and doc["error"]["exit_status"] == 1
    assert "ZeroDivisionError" in doc["error"]["message"] + (doc.get("traceback") or "")
    assert "hi" in doc["output"]

    r = s.run("rollback", s.name, "--json")
    assert r.returncode == 0, r.stderr
    assert one_doc(r)["action"] == "rollback"

    s.get("/hello-json")
    r = s.run("tail", s.name, "--json", "--no-follow")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines and all(x["stage"] == "dev" and "message" in x and "time" in x
                         for x in lines)
    assert any(x["http"] and "/hello-json" in x["message"] for x in lines)

    # an operation failure is a document too, with its exit status
    r = s.run("deploy", s.name, "--json")
    assert r.returncode == 2 or r.returncode == 1
    doc = one_doc(r)
    assert doc["stage"] == "dev" and doc["error"]["exit_status"] == r.returncode
    assert "update" in doc["error"]["message"]

    r = s.run("undeploy", s.name, "-y", "--json")
    assert r.returncode == 0, r.stderr
    assert one_doc(r) == {"stage": "dev", "action": "undeploy"}

    # tail of a stage that is not there: its error is the (only) line
    r = s.run("tail", s.name, "--json", "--no-follow")
    assert r.returncode != 0
    assert one_doc(r)["error"]["exit_status"] == r.returncode


def test_all_prints_one_array(make_stage):
    s = make_stage()
    other = dict(s.settings)
    (s.proj / "hoist.json").write_text(json.dumps({"dev": s.settings, "qa": other}))
    r = s.run("package", "--all", "--json", "-o", str(s.tmp))
    assert r.returncode == 0, r.stderr
    doc = one_doc(r)
    assert [x["stage"] for x in doc] == ["dev", "qa"]
    assert all(x["path"].endswith(".zip") for x in doc)

    r = s.run("status", "--all", "--json")
    doc = one_doc(r)
    assert r.returncode == 1 and isinstance(doc, list)
    assert doc[0]["stage"] == "dev" and doc[0]["error"]["exit_status"] == 1

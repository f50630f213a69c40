"""bench_support.py — what the cloud benches (bench/*/bench.py) share: the fake's
request log, examples/flask with Flask vendored from Debian's packages as the
project to deploy, a blob of random bytes to make a package big, and a delay
on every answer (a cloud's round trip)."""
import json
import os
import pathlib
import shutil
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))          # the fakes: fakecloud.*

DIST = pathlib.Path("/usr/lib/python3/dist-packages")
FLASK = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")


def fake_requests(fake):
    """The requests the fake received (its /__fake/requests side channel)."""
    with urllib.request.urlopen(fake.url + "/__fake/requests") as r:
        return json.load(r)


LATENCY = 0.02   # seconds added to each answer in the "+20ms" scenarios


def latency(fake, seconds):
    """Every request answered `seconds` late from now on (0: the fake's own pace), through
    the fake's "slow" fault: what reads made side by side, or ahead, save."""
    def post(path, doc):
        rq = urllib.request.Request(fake.url + path, data=json.dumps(doc).encode(),
                                    method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(rq).read()
    if seconds:
        post("/__fake/faults", {"action": "*", "kind": "slow", "count": -1, "delay": seconds})
    else:
        post("/__fake/reset-faults", {})


def flask_project(work, name, stage, vendored=FLASK):
    """examples/flask copied to work/name with `vendored` copied into
    work/site-packages and a hoist.json holding `stage` (site_packages set) as
    stage "bench"; -> the project directory."""
    sp = work / "site-packages"
    for pkg in vendored:
        if (DIST / pkg).is_dir():
            shutil.copytree(DIST / pkg, sp / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    app = work / name
    shutil.copytree(ROOT / "examples" / "flask", app,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.zip"))
    (app / "hoist.json").write_text(json.dumps({"bench": dict(stage, site_packages=str(sp))}))
    return app


def write_blob(path, mib):
    """`mib` MiB of random bytes at path (incompressible: the zip grows as much); 0 removes it."""
    if not mib:
        if path.exists():
            path.unlink()
        return
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1024 * 1024))

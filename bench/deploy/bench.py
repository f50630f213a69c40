"""Measure hoist deploy / no-change update against the fake AWS (see run.sh)."""
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from fakecloud.fakeaws import DEFAULT_KEYS, Fake  # noqa: E402

FLASK = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")


def requests(fake):
    with urllib.request.urlopen(fake.url + "/__fake/requests") as r:
        return json.load(r)


def main():
    hoist, runs = sys.argv[1], int(sys.argv[2])
    work = pathlib.Path(tempfile.mkdtemp())
    try:
        sp = work / "site-packages"
        for name in FLASK:
            src = pathlib.Path("/usr/lib/python3/dist-packages") / name
            if src.is_dir():
                shutil.copytree(src, sp / name, ignore=shutil.ignore_patterns("__pycache__"))
        proj = work / "flask"
        shutil.copytree(ROOT / "examples" / "flask", proj,
                        ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.zip"))
        (proj / "hoist.json").write_text(json.dumps({"bench": {
            "provider": "aws", "project_name": "flaskdemo", "app_function": "app.app",
            "aws_region": "us-east-1", "site_packages": str(sp),
            "events": [{"function": "tasks.heartbeat", "expression": "rate(5 minutes)"}]}}))
        fake = Fake().start()
        akid, secret = next(iter(DEFAULT_KEYS.items()))
        env = dict(os.environ, AWS_ENDPOINT_URL=fake.url, AWS_ACCESS_KEY_ID=akid,
                   AWS_SECRET_ACCESS_KEY=secret, AWS_REGION="us-east-1", HOME=str(work),
                   AWS_CONFIG_FILE=str(work / "none"), AWS_SHARED_CREDENTIALS_FILE=str(work / "none"))
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)

        def timed(*args):
            n0 = len(requests(fake))
            t0 = time.monotonic()
            r = subprocess.run([hoist, "-q", *args], cwd=proj, env=env, capture_output=True, text=True)
            dt = time.monotonic() - t0
            if r.returncode:
                sys.exit(f"bench: hoist {' '.join(args)} failed:\n{r.stderr}")
            reqs = requests(fake)[n0:]
            return dt, reqs

        dep, upd = [], []
        for _ in range(runs):
            fake.reset()
            dt, reqs = timed("deploy", "bench")
            dep.append((dt, len(reqs)))
            dt, reqs = timed("update", "bench")
            uploads = [q for q in reqs if q["operation"] in
                       ("UpdateFunctionCode", "PutObject", "UploadPart", "CreateFunction")]
            upd.append((dt, len(reqs), len(uploads)))
            timed("undeploy", "bench", "-y")
        fake.stop()
        med = statistics.median
        print(f"deploy:            median {med(d[0] for d in dep):.3f} s, "
              f"{med(d[1] for d in dep):.0f} requests  (runs: "
              + ", ".join(f"{d[0]:.3f}" for d in dep) + ")")
        print(f"no-change update:  median {med(u[0] for u in upd):.3f} s, "
              f"{med(u[1] for u in upd):.0f} requests, {max(u[2] for u in upd)} uploads  (runs: "
              + ", ".join(f"{u[0]:.3f}" for u in upd) + ")")
        print("targets: deploy <= 1 s, no-change update <= 0.3 s with 0 uploads")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

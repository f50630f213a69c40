"""Helpers for the local-provider tests: the test app, Stage (deploy/undeploy
one stage in a private state dir), free_port, wait_for.  Imported by name
(local_support) so it never collides with another directory's conftest."""
import glob
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


HELLO_APP = '''
import json, os, sys, time

VERSION = "v1"

def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    n = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(n) if n else b""
    if path == "/crash":
        print("about to die", flush=True)
        os.kill(os.getpid(), 9)
    if path == "/sleep":
        time.sleep(30)
    print("serving", path, VERSION)
    out = json.dumps({"path": path, "method": environ["REQUEST_METHOD"],
                      "query": environ.get("QUERY_STRING", ""),
                      "body": body.decode("utf-8", "replace"),
                      "version": VERSION, "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Version", VERSION)])
    return [out]
'''

TASKS = '''
def tick():
    print("tick-marker from the timer")
    return "ticked"

def add(a=1, b=2):
    return a + b
'''


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Stage:
    """One project + stage deployed to the local provider in tmp_path."""

    def __init__(self, hoist, tmp_path, name="dev", settings=None, files=None, proj=None):
        self.hoist = hoist
        self.name = name
        self.tmp = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.proj = proj or tmp_path / "proj"
        self.proj.mkdir(exist_ok=True)
        own = proj is None
        self.port = free_port()
        self.asan_dir = tmp_path / "asan"
        self.asan_dir.mkdir(exist_ok=True)
        st = {"provider": "local", "project_name": "t" + tmp_path.name[-8:].replace("_", ""),
              "app_function": "app.app", "local_port": self.port,
              "python": "/usr/bin/python3", "timeout_seconds": 3}
        st.update(settings or {})
        self.settings = st
        if own:
            (self.proj / "hoist.json").write_text(json.dumps({name: st}))
            (self.proj / "app.py").write_text(HELLO_APP)
            (self.proj / "tasks.py").write_text(TASKS)
        for k, v in (files or {}).items():
            (self.proj / k).write_text(v)
        self.url = "http://127.0.0.1:%d/%s" % (self.port, name)
        self.env = dict(os.environ)
        self.env.update({
            "HOME": str(tmp_path / "home"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "ASAN_OPTIONS": "log_path=%s/asan:detect_leaks=1" % self.asan_dir,
            "UBSAN_OPTIONS": "log_path=%s/ubsan:print_stacktrace=1" % self.asan_dir,
            "HOIST_LOCAL_TIME_SCALE": "60",
        })
        for k in ("VIRTUAL_ENV", "NO_COLOR"):
            self.env.pop(k, None)

    def write_settings(self, **kw):
        self.settings.update(kw)
        (self.proj / "hoist.json").write_text(json.dumps({self.name: self.settings}))

    def run(self, *args, timeout=60, input=None):
        return subprocess.run([self.hoist] + [str(a) for a in args], cwd=self.proj,
                              env=self.env, capture_output=True, text=True, timeout=timeout,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL)

    @property
    def dir(self):
        return self.tmp / "state" / "hoist" / "local" / self.function

    @property
    def function(self):
        return (self.settings["project_name"] + "-" + self.name).lower()

    def pid(self):
        try:
            return int((self.dir / "gateway.pid").read_text())
        except (OSError, ValueError):
            return None

    def get(self, path="/", data=None, method=None, headers=None, timeout=10):
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def processes_in_dir(self):
        """pids whose cwd or command line points into the stage directory."""
        found = []
        d = str(self.dir)
        for p in glob.glob("/proc/[0-9]*"):
            try:
                cwd = os.readlink(p + "/cwd")
                cmd = open(p + "/cmdline", "rb").read().decode(errors="replace")
            except OSError:
                continue
            if cwd.startswith(d) or d in cmd:
                found.append(int(p.rsplit("/", 1)[1]))
        return found

    def cleanup(self):
        self.run("undeploy", self.name, "-y")
        for pid in self.processes_in_dir():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def sanitizer_reports(self):
        out = []
        for f in glob.glob(str(self.asan_dir / "*")):
            out.append(f + ":\n" + open(f, errors="replace").read()[:4000])
        return out


def wait_for(pred, timeout=10.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()

"""A PATH whose only Python is a shim around this machine's own: what the
pre-flight runs (hoist picks the interpreter closest to the stage's runtime
from PATH), so that a test can slow it down and see when it ended."""
import subprocess


def minor():
    """The minor version of /usr/bin/python3."""
    return int(subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[1])"],
                              capture_output=True, text=True, check=True).stdout)


def slow_python(tmp_path, ended=None, sleep=1):
    """-> a PATH directory holding python3.N, which sleeps `sleep` s before the real
    interpreter runs and, with `ended`, appends the time it ended (epoch s) to that
    file."""
    m = minor()
    shims = tmp_path / "shims"
    shims.mkdir(exist_ok=True)
    body = f"/usr/bin/sleep {sleep}\n/usr/bin/python3.{m} \"$@\"\nrc=$?\n"
    if ended:
        body += f"/usr/bin/date +%s.%N >> {ended}\n"
    shim = shims / f"python3.{m}"
    shim.write_text("#!/bin/sh\n" + body + "exit $rc\n")
    shim.chmod(0o755)
    return str(shims)

"""hoist_slim -- the slim bundle (AWS): the project arrives as a .tar.gz in S3.

At cold start ``ensure({"url": "s3://bucket/key.tar.gz", "project": name})``
downloads the archive with boto3 (which the AWS runtime provides), unpacks it
into /tmp/<project> and puts that directory first on sys.path.  It happens
once per container: /tmp survives between invocations of a warm container,
so a later process finds the ".hoist-unpacked" marker and skips the download.
Unpacking goes to a temporary directory that is renamed into place, so a
crash half-way never leaves a partial project behind.  Archive members are
unpacked at the directory root (the same layout as the zip).
"""

import os
import sys

MARKER = ".hoist-unpacked"
_done = None          # the project directory, once ensured in this process


def _split_url(url):
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise ValueError("SLIM_BUNDLE url must be s3://bucket/key, not %r" % (url,))
    bucket, key = url[5:].split("/", 1)
    return bucket, key


def _unpack(archive, into):
    import tarfile
    with tarfile.open(archive, "r:*") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:
            for member in tar.getmembers():
                name = os.path.normpath(member.name)
                if name.startswith("..") or os.path.isabs(name):
                    raise ValueError("unsafe path in slim bundle: %r" % (member.name,))
            tar.extractall(into)


def ensure(bundle, root="/tmp"):
    """Make sure the project is unpacked and importable; its directory."""
    global _done
    if _done:
        return _done
    project = str(bundle.get("project") or "project").replace("/", "_")
    target = os.path.join(root, project)
    if not os.path.exists(os.path.join(target, MARKER)):
        import shutil
        import tempfile
        import boto3
        bucket, key = _split_url(str(bundle.get("url") or ""))
        work = tempfile.mkdtemp(prefix=project + "-", dir=root)
        try:
            archive = os.path.join(work, "bundle.tar.gz")
            boto3.client("s3").download_file(bucket, key, archive)
            tree = os.path.join(work, "tree")
            _unpack(archive, tree)
            with open(os.path.join(tree, MARKER), "w") as f:
                f.write(str(bundle.get("url")) + "\n")
            if os.path.exists(target):
                shutil.rmtree(target)
            os.rename(tree, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if target not in sys.path:
        sys.path.insert(0, target)
    _done = target
    return target

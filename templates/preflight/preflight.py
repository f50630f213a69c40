"""hoist's pre-flight: import the app from the package alone, as the runtime will.

Not shipped in packages: hoist deploy/update runs it before anything is
uploaded, as ``python3 -I -S -c <this> ZIP TAR|- DIR PYCACHE`` with the
stage's environment: modules are imported straight from the zip (their
compiled code kept in PYCACHE, keyed by the entry's name, CRC and size, so
an unchanged file is not compiled again next time), native extension
modules are unpacked into DIR when imported (they cannot load from a zip;
the wheels' bundled ``*.libs/`` with them), a slim bundle's project is
unpacked into DIR; then hoist_handler and the app are imported the way a
cold start does.  -I -S: nothing but the standard library and the package
is importable, as in the cloud.

One line of JSON on stdout says what happened:
  {"ok": true}
  {"missing": "flask", "error": "...", "traceback": "...", "in_package": false}
  {"not_found": "..."}                 (app_function names nothing in the package)
  {"error": "...", "traceback": "..."}           (the app raised something else)
"""

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import marshal
import os
import sys
import traceback
import zipfile


class FromZip(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Python modules of the zip, their compiled code cached on disk across runs."""

    def __init__(self, zip_path, cache):
        self.zip_path, self.cache = zip_path, cache
        self.zf = zipfile.ZipFile(zip_path)
        self.infos = {i.filename: i for i in self.zf.infolist()}

    def find_spec(self, fullname, path=None, target=None):
        rel = fullname.replace(".", "/")
        for entry, is_pkg in ((rel + "/__init__.py", True), (rel + ".py", False)):
            if entry in self.infos:
                spec = importlib.util.spec_from_loader(
                    fullname, self, origin=os.path.join(self.zip_path, entry), is_package=is_pkg)
                if is_pkg:
                    spec.submodule_search_locations = [os.path.join(self.zip_path, rel)]
                spec.has_location = True
                spec.loader_state = entry
                return spec
        return None

    def _entry(self, fullname):
        rel = fullname.replace(".", "/")
        return rel + "/__init__.py" if rel + "/__init__.py" in self.infos else rel + ".py"

    def is_package(self, fullname):
        return self._entry(fullname).endswith("/__init__.py")

    def get_source(self, fullname):
        return self.zf.read(self._entry(fullname)).decode("utf-8", "replace")

    def get_data(self, path):
        rel = os.path.relpath(path, self.zip_path)
        if rel in self.infos:
            return self.zf.read(rel)
        with open(path, "rb") as f:
            return f.read()

    def get_code(self, fullname):
        entry = self._entry(fullname)
        info = self.infos[entry]
        key = hashlib.sha256(("%s\0%08x\0%d\0%s" % (entry, info.CRC, info.file_size,
                                                      sys.implementation.cache_tag))
                             .encode()).hexdigest()
        cached = os.path.join(self.cache, key[:2], key[2:] + ".pyc")
        magic = importlib.util.MAGIC_NUMBER
        try:
            with open(cached, "rb") as f:
                data = f.read()
            if data[:len(magic)] == magic:
                return marshal.loads(data[len(magic):])
        except (OSError, ValueError, EOFError):
            pass
        code = compile(self.zf.read(entry), "<package>/" + entry, "exec", dont_inherit=True)
        try:
            os.makedirs(os.path.dirname(cached), mode=0o700, exist_ok=True)
            tmp = "%s.%d" % (cached, os.getpid())
            with open(tmp, "wb") as f:
                f.write(magic + marshal.dumps(code))
            os.replace(tmp, cached)
        except OSError:
            pass
        return code


class Natives(importlib.abc.MetaPathFinder):
    """Extension modules of the zip, unpacked into a directory when imported."""

    def __init__(self, zip_path, names, into):
        self.zip_path, self.names, self.into = zip_path, names, into
        self.libs_done = False

    def unpack(self, entries):
        with zipfile.ZipFile(self.zip_path) as z:
            for entry in entries:
                z.extract(entry, self.into)

    def find_spec(self, fullname, path=None, target=None):
        rel = fullname.replace(".", "/")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if rel + suffix in self.names:
                if not self.libs_done:   # auditwheel's vendored libraries: "<dist>.libs/"
                    self.unpack([n for n in self.names
                                 if n.split("/", 1)[0].endswith(".libs") and
                                 not n.endswith("/")])
                    self.libs_done = True
                self.unpack([rel + suffix])
                dest = os.path.join(self.into, rel + suffix)
                loader = importlib.machinery.ExtensionFileLoader(fullname, dest)
                return importlib.util.spec_from_file_location(fullname, dest, loader=loader)
        return None


def in_package(names, module):
    """Is the top-level module in the package (a package dir, a module, an extension)?"""
    top = module.split(".")[0]
    for n in names:
        first = n.split("/", 1)[0]
        if first == top and "/" in n:
            return True
        if first.split(".")[0] == top and first.endswith((".py", ".pyc", ".so", ".pyd")):
            return True
    return False


def main():
    zip_path, tar_path, root, pycache = sys.argv[1:5]
    os.makedirs(root, exist_ok=True)
    from_zip = FromZip(zip_path, pycache)
    names = set(from_zip.infos)
    if tar_path != "-":
        import tarfile
        with tarfile.open(tar_path, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, filter="data")
            else:
                tar.extractall(root)
        sys.path.insert(0, root)
    sys.path.insert(0, zip_path)     # what FromZip does not serve (namespaces, data)
    sys.meta_path[0:0] = [from_zip, Natives(zip_path, names, root)]
    os.chdir(root)
    out = {"ok": True}
    try:
        import hoist_handler
        import hoist_settings
        if tar_path != "-":
            # The runtime downloads and unpacks the slim bundle; here it is unpacked already.
            import hoist_slim
            hoist_slim.ensure = lambda *a, **k: root
        if getattr(hoist_settings, "APP_FUNCTION", None) or \
                getattr(hoist_settings, "DJANGO_SETTINGS", None):
            load = getattr(hoist_handler, "load_app", None)
            if load:
                load()
    except ImportError as exc:
        name = getattr(exc, "name", None) or ""
        out = {"missing": name, "error": "%s: %s" % (type(exc).__name__, exc),
               "traceback": traceback.format_exc(),
               "in_package": bool(name) and in_package(names, name)}
    except Exception as exc:
        if type(exc).__name__ != "FunctionNotFound":    # hoist_invoke's: the app is not there
            out = {"error": "%s: %s" % (type(exc).__name__, exc),
                   "traceback": traceback.format_exc()}
        else:
            out = {"not_found": str(exc)}
    except BaseException as exc:   # the app's own business: reported, not judged
        out = {"error": "%s: %s" % (type(exc).__name__, exc),
               "traceback": traceback.format_exc()}
    sys.stdout.flush()
    os.write(1, (json.dumps(out) + "\n").encode("utf-8"))
    os._exit(0)


if __name__ == "__main__":
    main()

"""hoist's pre-flight: import the app from the package alone, as the runtime will.

Not shipped in packages: hoist deploy/update runs it before anything is
uploaded, with the stage's environment, in one of two ways:

  python3 -I -S -c <this> zip ZIP TAR|- DIR PYCACHE
      a package that exists (--zip FILE): modules are imported straight from
      the zip (their compiled code kept in PYCACHE, keyed by the entry's
      name, CRC and size, so an unchanged file is not compiled again next
      time); native extension modules are unpacked into DIR when imported
      (they cannot load from a zip; the wheels' bundled ``*.libs/`` with
      them); a slim bundle's project is unpacked into DIR;
  python3 -I -S -c <this> files MANIFEST slim|- DIR PYCACHE
      a package still being compressed: MANIFEST lists each of its entries
      as "name NUL file NUL" (the file on disk, or hoist's generated copy),
      and exactly those are importable, from where they are: compiled code
      is the file's own __pycache__ entry when that is current (as the
      runtime's import would take it), else PYCACHE's, keyed by the file's
      path, size, mtime and inode; extension modules load in place.

  python3 -I -S -c <this> stdin WARM DIR
      started while hoist is still walking the project: Python's own start
      and the standard-library modules in WARM (one name per line, those the
      last pass of this project imported; may be empty) happen meanwhile; the
      arguments of one of the forms above then come on stdin, NUL-separated
      (nothing: exit).  A warmed module the package itself provides would be
      shadowed here and not in the cloud: the answer is then {"cold": true}
      and hoist starts Python again without warming.

Then hoist_handler and the app are imported the way a cold start does.
-I -S: nothing but the standard library and the package is importable, as
in the cloud.

One line of JSON on stdout says what happened:
  {"ok": true, "warm": [...]}     (the standard-library modules it imported)
  {"missing": "flask", "error": "...", "traceback": "...", "in_package": false}
  {"not_found": "..."}                 (app_function names nothing in the package)
  {"error": "...", "traceback": "..."}           (the app raised something else)
"""

import gc
import importlib.machinery
import importlib.util
import json
import marshal
import os
import sys


class FromZip:
    """Python modules of the zip, their compiled code cached on disk across runs."""

    def __init__(self, zip_path, cache):
        import zipfile
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

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)

    def get_code(self, fullname):
        import hashlib
        entry = self._entry(fullname)
        info = self.infos[entry]
        key = hashlib.sha256(("%s\0%08x\0%d\0%s" % (entry, info.CRC, info.file_size,
                                                      sys.implementation.cache_tag))
                             .encode()).hexdigest()
        return cached_code(self.cache, key, lambda: self.zf.read(entry), "<package>/" + entry)

def cached_code(cache, key, source, filename):
    """The code of `source` (bytes, read only when needed), compiled once per key."""
    cached = os.path.join(cache, key[:2], key[2:] + ".pyc")
    magic = importlib.util.MAGIC_NUMBER
    try:
        with open(cached, "rb") as f:
            data = f.read()
        if data[:len(magic)] == magic:
            return marshal.loads(data[len(magic):])
    except (OSError, ValueError, EOFError):
        pass
    code = compile(source(), filename, "exec", dont_inherit=True)
    try:
        os.makedirs(os.path.dirname(cached), mode=0o700, exist_ok=True)
        tmp = "%s.%d" % (cached, os.getpid())
        with open(tmp, "wb") as f:
            f.write(magic + marshal.dumps(code))
        os.replace(tmp, cached)
    except OSError:
        pass
    return code


class FileLoader(importlib.machinery.SourceFileLoader):
    """A package file where it lies; compiled code from its own __pycache__ entry when
    that is current (as the runtime's import would take it), else from the mirror tree
    under sys.pycache_prefix (Python's own validation and writing); never writes beside it."""

    mirror = None

    def get_code(self, fullname):
        path = self.path
        head, base = os.path.split(path)
        own = os.path.join(head, "__pycache__", "%s.%s.pyc" % (
            base.rpartition(".")[0], sys.implementation.cache_tag))
        try:
            with open(own, "rb") as f:
                data = f.read()
            st = os.stat(path)
            if (data[:4] == importlib.util.MAGIC_NUMBER and data[4:8] == b"\0\0\0\0" and
                    int.from_bytes(data[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF and
                    int.from_bytes(data[12:16], "little") == st.st_size & 0xFFFFFFFF):
                return marshal.loads(memoryview(data)[16:])
        except (OSError, ValueError, EOFError):
            pass
        sys.pycache_prefix = self.mirror   # for this file only (the stdlib keeps its own)
        try:
            return super().get_code(fullname)
        finally:
            sys.pycache_prefix = None


class FromFiles:
    """The package's entries as a manifest lists them, each from its file on disk."""

    def __init__(self, manifest, cache):
        FileLoader.mirror = os.path.join(cache, "tree")
        # before 3.8 there is no sys.pycache_prefix: compile, never write beside the files
        sys.dont_write_bytecode = sys.version_info < (3, 8)
        # decoded whole and split once: thousands of entries, on the critical path
        with open(manifest, "rb") as f:
            parts = os.fsdecode(f.read()).split("\0")
        self.files = dict(zip(parts[0:-1:2], parts[1::2]))
        self.dirs = set()
        for d in {name.rpartition("/")[0] for name in self.files}:
            while d and d not in self.dirs:
                self.dirs.add(d)
                d = d.rpartition("/")[0]

    def find_spec(self, fullname, path=None, target=None):
        rel = fullname.replace(".", "/")
        init = self.files.get(rel + "/__init__.py")
        if init:
            return importlib.util.spec_from_file_location(
                fullname, init, loader=FileLoader(fullname, init),
                submodule_search_locations=[os.path.dirname(init)])
        src = self.files.get(rel + ".py")
        if src:
            return importlib.util.spec_from_file_location(fullname, src,
                                                          loader=FileLoader(fullname, src))
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            src = self.files.get(rel + suffix)
            if src:
                return importlib.util.spec_from_file_location(
                    fullname, src, loader=importlib.machinery.ExtensionFileLoader(fullname, src))
        if rel in self.dirs:     # a namespace package
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = []
            return spec
        if "." in fullname:      # below a package of ours: not in the package, not elsewhere
            top = rel.split("/")[0]
            if top in self.dirs:
                raise ModuleNotFoundError("No module named %r" % fullname, name=fullname)
        return None


class Natives:
    """Extension modules of the zip, unpacked into a directory when imported."""

    def __init__(self, zip_path, names, into):
        self.zip_path, self.names, self.into = zip_path, names, into
        self.libs_done = False

    def unpack(self, entries):
        import zipfile
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


def trace():
    import traceback
    return traceback.format_exc()


def stdlib_modules(before):
    """Names of the standard-library modules imported since `before`, in order."""
    if getattr(os, "__file__", None):   # the standard library's directory (and lib-dynload)
        dirs = (os.path.join(os.path.dirname(os.__file__), ""),)
    else:
        import sysconfig
        dirs = tuple(os.path.join(sysconfig.get_paths()[k], "") for k in ("stdlib", "platstdlib"))
    out = []
    for name, mod in list(sys.modules.items()):
        if name in before:
            continue
        spec = getattr(mod, "__spec__", None)
        origin = getattr(spec, "origin", None) or ""
        if origin in ("built-in", "frozen") or origin.startswith(dirs):
            if "site-packages" not in origin and "dist-packages" not in origin:
                out.append(name)
    return out


def warm(path):
    """Import the standard-library modules named in `path` (one per line)."""
    try:
        with open(path) as f:
            names = [n.strip() for n in f]
    except OSError:
        return
    for name in names:
        if not name or not all(p.isidentifier() for p in name.split(".")):
            continue
        try:
            __import__(name)
        except BaseException:   # the app's own import decides; this was only a head start
            pass


def args_from_stdin():
    data = b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        data += chunk
    parts = [os.fsdecode(p) for p in data.split(b"\0")]
    if len(parts) < 5:
        os._exit(0)   # hoist needed no try after all
    return parts[:5]


def top_names(names):
    """The top-level names the package's entries provide."""
    return {n.split("/", 1)[0].split(".", 1)[0] for n in names}


def shadowed(tops, warmed):
    """A module warmed up front that the package provides too: start again, cold."""
    if any(m.split(".", 1)[0] in tops for m in warmed):
        os.write(1, b'{"cold": true}\n')
        os._exit(0)


def main():
    # No cyclic garbage collection: imports make next to none, and the
    # collector's passes over the thousands of objects they create cost ~14%
    # of their time.  The process ends as soon as it has answered.
    gc.disable()
    before = set(sys.modules)
    warmed = set()
    if sys.argv[1] == "stdin":
        os.makedirs(sys.argv[3], exist_ok=True)
        os.chdir(sys.argv[3])
        warm(sys.argv[2])
        warmed = set(sys.modules) - before   # with what they imported in turn
        mode, src, extra, root, pycache = args_from_stdin()
    else:
        mode, src, extra, root, pycache = sys.argv[1:6]
    os.makedirs(root, exist_ok=True)
    if mode == "files":
        finder = FromFiles(src, pycache)
        names = set(finder.files)
        sys.meta_path.insert(0, finder)
        slim = extra == "slim"
    else:
        from_zip = FromZip(src, pycache)
        names = set(from_zip.infos)
        slim = extra != "-"
        if slim:
            import tarfile
            with tarfile.open(extra, "r:*") as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(root, filter="data")
                else:
                    tar.extractall(root)
            sys.path.insert(0, root)
        sys.path.insert(0, src)     # what FromZip does not serve (namespaces, data)
        sys.meta_path[0:0] = [from_zip, Natives(src, names, root)]
    tops = top_names(names)
    shadowed(tops, warmed)
    os.chdir(root)
    out = {"ok": True}
    try:
        import hoist_handler
        import hoist_settings
        if slim:
            # The runtime downloads and unpacks the slim bundle; here it is at hand already.
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
               "traceback": trace(),
               "in_package": bool(name) and in_package(names, name)}
    except Exception as exc:
        if type(exc).__name__ != "FunctionNotFound":    # hoist_invoke's: the app is not there
            out = {"error": "%s: %s" % (type(exc).__name__, exc),
                   "traceback": trace()}
        else:
            out = {"not_found": str(exc)}
    except BaseException as exc:   # the app's own business: reported, not judged
        out = {"error": "%s: %s" % (type(exc).__name__, exc),
               "traceback": trace()}
    if out.get("ok"):
        # a package with a module of the standard library's name is never warmed up for
        std = getattr(sys, "stdlib_module_names", ())
        out["warm"] = [] if tops & set(std) else \
            [m for m in stdlib_modules(before) if m.split(".", 1)[0] not in tops]
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, (json.dumps(out) + "\n").encode("utf-8"))
    # The answer is whole: hoist goes on when these close, not after this
    # process's exit (the teardown of all it imported takes a few ms).
    os.close(1)
    os.close(2)
    os._exit(0)

if __name__ == "__main__":
    main()

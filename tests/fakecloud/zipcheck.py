"""The fakes' check of an uploaded function zip, as a cloud's unzip checks it:
every member has its local header where the central directory says and
inflates (stored or deflated) to its recorded size and CRC-32 — ZipFile.testzip's
check, without its per-member stream overhead.

Inflating a 9 MiB package costs the fake ~0.2-0.4 s, most of a deploy's wall
time against it, and the same members come back again and again (the same
zip for four stages under --all, an update that changed one file of 3,600).
So a member whose compressed bytes, method, size and CRC are exactly those of
a member already inflated and found right is known right without inflating
it again: inflation is a function of those bytes, the answer cannot differ.
Every member is still located, its local header read, and its compressed
bytes hashed (SHA-1, ~40x cheaper than inflating); only the inflation is
remembered.  A member that failed is never remembered; a whole zip that
passed is remembered too (by its SHA-256, which the fakes compute for the
request log and CodeSha256 anyway: fakeaws.sha256_hex), so the same zip again
costs nothing more.
"""
import hashlib
import io
import os
import struct
import threading
import zipfile
import zlib

from .fakeaws import sha256_hex

_KNOWN_GOOD = set()     # (method, size, crc, compressed size, SHA-1 of the compressed bytes)
_KNOWN_GOOD_ZIPS = set()  # (size, SHA-256 hex) of whole zips that passed
_LIMIT = 200_000        # forget all past this many (a long test session's distinct members)
_lock = threading.Lock()


def check_zip(data):
    """Raise zipfile.BadZipFile (or zlib.error / struct.error) unless every
    member of `data` (bytes, or the path of a zip file) is where the directory
    says and inflates to its recorded size and CRC-32."""
    if isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as f:
            data = f.read()
    whole = (len(data), sha256_hex(data))
    if whole in _KNOWN_GOOD_ZIPS:
        return
    view = memoryview(data)
    fresh = []
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        off = info.header_offset
        if data[off:off + 4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {info.filename}")
        n, m = struct.unpack("<HH", data[off + 26:off + 30])
        start = off + 30 + n + m
        raw = view[start:start + info.compress_size]
        if len(raw) != info.compress_size:
            raise zipfile.BadZipFile(f"{info.filename}: truncated")
        key = (info.compress_type, info.file_size, info.CRC, info.compress_size,
               hashlib.sha1(raw).digest())
        if key in _KNOWN_GOOD:
            continue
        if info.compress_type == zipfile.ZIP_STORED:
            out = raw
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            out = zlib.decompress(raw, -15)
        else:
            raise zipfile.BadZipFile(f"{info.filename}: compression {info.compress_type}")
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise zipfile.BadZipFile(f"{info.filename}: bad CRC or size")
        fresh.append(key)
    with _lock:             # only once the whole zip passed
        if len(_KNOWN_GOOD) + len(fresh) > _LIMIT:
            _KNOWN_GOOD.clear()
            _KNOWN_GOOD_ZIPS.clear()
        _KNOWN_GOOD.update(fresh)
        _KNOWN_GOOD_ZIPS.add(whole)

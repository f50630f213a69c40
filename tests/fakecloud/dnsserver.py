"""A small authoritative DNS responder (UDP, 127.0.0.1) for the fake clouds:
it answers A, CNAME and TXT questions from a lookup function, so pebble's
dns-01 validation and custom-domain checks resolve records written through a
fake DNS API (Route 53, DNSPod).  NXDOMAIN when the name has no record at all.

  port = dnsserver.start(owner, lookup, exists)
    lookup(name, rtype) -> [values] (TXT values unquoted)
    exists(name) -> bool
  owner.dns_queries lists every (name, type) asked; owner.dns_blackout = True
  answers NXDOMAIN to everything.
"""
import socket
import struct
import threading

TYPES = {16: "TXT", 1: "A", 5: "CNAME"}


def _qname(data, off):
    labels = []
    while True:
        n = data[off]
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(data[off:off + n].decode(errors="replace"))
        off += n


def _name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _answer(owner, lookup, exists, data):
    qid, flags, qd = struct.unpack(">HHH", data[:6])
    name, off = _qname(data, 12)
    qtype, qclass = struct.unpack(">HH", data[off:off + 4])
    question = data[12:off + 4]
    answers = []
    t = TYPES.get(qtype)
    owner.dns_queries.append((name.lower().rstrip("."), t or qtype))
    blackout = getattr(owner, "dns_blackout", False)
    if t and not blackout:
        vals, rtype = lookup(name, t), qtype
        if not vals and t == "A":
            vals, rtype = lookup(name, "CNAME"), 5
        for v in vals:
            if rtype == 16:
                raw = v.encode()
                rdata = b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255]
                                 for i in range(0, max(len(raw), 1), 255))
            elif rtype == 1:
                rdata = socket.inet_aton(v)
            else:
                rdata = _name_wire(v)
            answers.append(b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, 60, len(rdata)) + rdata)
    rcode = 0 if answers or (not blackout and exists(name)) else 3
    hdr = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0)
    return hdr + question + b"".join(answers)


def start(owner, lookup, exists):
    """Start (once per owner) the responder; returns its UDP port."""
    with owner.lock:
        srv = getattr(owner, "_dns", None)
        if srv:
            return srv.getsockname()[1]
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        owner._dns = sock
        owner.dns_queries = []

    def serve():
        while True:
            try:
                data, addr = sock.recvfrom(4096)
            except OSError:
                return
            try:
                sock.sendto(_answer(owner, lookup, exists, data), addr)
            except (OSError, IndexError, struct.error):
                continue
    threading.Thread(target=serve, daemon=True).start()
    return sock.getsockname()[1]

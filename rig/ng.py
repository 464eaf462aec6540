#!/usr/bin/env python3
"""A client for rtpengine's ng control protocol (bencode over UDP), standard library only.

    python3 rig/ng.py PORT ping
    python3 rig/ng.py PORT query CALL-ID          # the whole query answer, as JSON
    python3 rig/ng.py PORT packets CALL-ID        # packets rtpengine received from each leg

`packets` prints {"legs": [{"tag", "protocol", "packets", "bytes", "errors"}, ...]}: for each
call party (SIP tag) the RTP packets rtpengine has received *from* it so far, summed over its
streams. The WebRTC leg is the one whose protocol is UDP/TLS/RTP/SAVPF.
"""

from __future__ import annotations

import json
import secrets
import socket
import sys


def benc(x) -> bytes:
    if isinstance(x, bool):
        x = int(x)
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, str):
        x = x.encode()
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, list):
        return b"l" + b"".join(benc(i) for i in x) + b"e"
    if isinstance(x, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in x.items())
        return b"d" + b"".join(benc(k) + benc(v) for k, v in items) + b"e"
    raise TypeError(type(x))


def bdec(b: bytes, i: int = 0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            items.append(v)
        if c == b"l":
            return items, i + 1
        return {str(items[k]): items[k + 1] for k in range(0, len(items), 2)}, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    s = b[j + 1:j + 1 + n]
    try:
        s = s.decode()
    except UnicodeDecodeError:
        s = s.hex()
    return s, j + 1 + n


def ng(port: int, cmd: dict, host: str = "127.0.0.1", timeout: float = 2.0) -> dict:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        cookie = secrets.token_hex(6).encode()
        s.sendto(cookie + b" " + benc(cmd), (host, port))
        while True:
            data, _ = s.recvfrom(1 << 20)
            if data.startswith(cookie + b" "):
                return bdec(data[len(cookie) + 1:])[0]
    finally:
        s.close()


def packets(port: int, call_id: str) -> dict:
    r = ng(port, {"command": "query", "call-id": call_id})
    legs = []
    for tag, t in (r.get("tags") or {}).items():
        leg = {"tag": tag, "protocol": "", "packets": 0, "bytes": 0, "errors": 0}
        for m in t.get("medias", []):
            leg["protocol"] = m.get("protocol", "")
            for st in m.get("streams", []):
                for k in ("packets", "bytes", "errors"):
                    leg[k] += st.get("stats", {}).get(k, 0)
        legs.append(leg)
    return {"result": r.get("result"), "legs": legs}


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port = int(sys.argv[1].rsplit(":", 1)[-1])
    what = sys.argv[2]
    if what == "ping":
        r = ng(port, {"command": "ping"})
    elif what == "query":
        r = ng(port, {"command": "query", "call-id": sys.argv[3]})
    elif what == "packets":
        r = packets(port, sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(r))
    return 0 if r.get("result") in ("ok", "pong") else 1


if __name__ == "__main__":
    sys.exit(main())

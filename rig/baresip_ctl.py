#!/usr/bin/env python3
"""Drive a baresip through its ctrl_tcp module (netstring-framed JSON), from Python or a shell.

    python3 rig/baresip_ctl.py PORT COMMAND [PARAMS]    # one command, prints the response JSON
    python3 rig/baresip_ctl.py PORT --events [SECONDS]  # prints events, one JSON per line

Commands are baresip's long menu commands (baresip 1.0): dial <uri>, accept, hangup,
sndcode <digits> (RFC 4733 telephone-events in RTP), hold, resume, mute, listcalls,
reginfo, answermode <manual|auto|early>, ausrc <mod,device>. Requests look like
{"command":"dial","params":"sip:1001@agentbar.test","token":"1"}; responses
{"response":true,"ok":true,"data":"...","token":"1"}; events
{"event":true,"class":"call","type":"CALL_ESTABLISHED","param":"...","id":"...",
 "peeruri":"...","direction":"incoming"}.
"""

from __future__ import annotations

import json
import queue
import socket
import sys
import threading
import time


class Baresip:
    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(None)
        self.events: queue.Queue[dict] = queue.Queue()
        self.responses: queue.Queue[dict] = queue.Queue()
        self.history: list[dict] = []
        self._tok = 0
        self._lock = threading.Lock()
        self._closed = False
        self._cv = threading.Condition()
        self.since = 0.0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                while True:
                    colon = buf.find(b":")
                    if colon < 0:
                        break
                    n = int(buf[:colon])
                    if len(buf) < colon + 1 + n + 1:
                        break
                    payload = buf[colon + 1: colon + 1 + n]
                    buf = buf[colon + 1 + n + 1:]  # skip the trailing ','
                    msg = json.loads(payload.decode("utf-8", "replace"))
                    msg["_t"] = time.monotonic()
                    if msg.get("response"):
                        self.responses.put(msg)
                    else:
                        with self._cv:
                            self.history.append(msg)
                            self._cv.notify_all()
                        self.events.put(msg)
        except OSError:
            pass
        finally:
            with self._cv:
                self._closed = True
                self._cv.notify_all()

    def command(self, command: str, params: str | None = None, timeout: float = 5.0) -> dict:
        with self._lock:
            self._tok += 1
            tok = str(self._tok)
            req = {"command": command, "token": tok}
            if params is not None:
                req["params"] = params
            body = json.dumps(req).encode()
            self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
            deadline = time.monotonic() + timeout
            while True:
                r = self.responses.get(timeout=max(0.01, deadline - time.monotonic()))
                if r.get("token") == tok:
                    return r

    def mark(self) -> float:
        """From now on, wait_event() only looks at events that arrive after this moment."""
        with self._cv:
            self.since = time.monotonic()
        return self.since

    def wait_event(self, types: str | tuple[str, ...], timeout: float = 10.0, pred=None,
                   since: float | None = None) -> dict:
        """The first event of one of these types that arrived after `since` (default: the
        last mark()), waiting up to `timeout` seconds for it. Events are never consumed, so
        waiting for B and then for A works when A came first."""
        if isinstance(types, str):
            types = (types,)
        t0 = self.since if since is None else since
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for ev in self.history:
                    if ev["_t"] >= t0 and ev.get("type") in types and (pred is None or pred(ev)):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise TimeoutError(f"no {'/'.join(types)} event within {timeout} s")
                self._cv.wait(left)

    def registered(self, aor: str) -> bool:
        data = self.command("reginfo").get("data", "")
        for line in data.splitlines():
            if aor in line and "OK" in line:
                return True
        return False

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port = int(sys.argv[1].rsplit(":", 1)[-1])
    b = Baresip("127.0.0.1", port)
    if sys.argv[2] == "--events":
        secs = float(sys.argv[3]) if len(sys.argv) > 3 else float("inf")
        end = time.monotonic() + secs
        try:
            while time.monotonic() < end:
                try:
                    ev = b.events.get(timeout=min(1.0, max(0.01, end - time.monotonic())))
                except queue.Empty:
                    continue
                ev.pop("_t", None)
                print(json.dumps(ev), flush=True)
        except KeyboardInterrupt:
            pass
        return 0
    params = " ".join(sys.argv[3:]) or None
    r = b.command(sys.argv[2], params)
    r.pop("_t", None)
    print(json.dumps(r))
    return 0 if r.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())

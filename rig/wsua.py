#!/usr/bin/env python3
"""A small SIP-over-WebSocket user agent (RFC 7118) for checking the rig's Kamailio the way the
toolbar's agentbar-sip will use it: a `.invalid` Via host and Contact with `;transport=ws`,
`+sip.instance`, `reg-id=1`, `;ob`, `Supported: path, outbound`, digest with qop=auth, INFO
`application/dtmf-relay`. Signalling only: the SDP it sends is a Chromium-like WebRTC offer or
answer whose ICE and DTLS never complete (no media). Python 3.11 standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import queue
import re
import secrets
import socket
import struct
import threading
import time
import uuid


# ---------------------------------------------------------------- WebSocket (client side)

class WebSocket:
    def __init__(self, url: str, protocol: str = "sip", timeout: float = 5.0):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)?$", url)
        if not m:
            raise ValueError(f"only ws://host:port URLs: {url}")
        host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n"
                "Origin: http://127.0.0.1\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise ConnectionError(f"handshake refused: {lines[0]}")
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            raise ConnectionError("bad Sec-WebSocket-Accept")
        if hdrs.get("sec-websocket-protocol", "").lower() != protocol:
            raise ConnectionError(f"server did not pick subprotocol {protocol}")
        self.sock.settimeout(None)
        self.wlock = threading.Lock()

    def _frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.wlock:
            self.sock.sendall(hdr + mask + masked)

    def send(self, text: str) -> None:
        self._frame(0x1, text.encode())

    def _need(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self) -> str | None:
        """The next text message; None when the server closes."""
        parts = b""
        while True:
            b1, b2 = self._need(2)
            op, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8))[0]
            mask = self._need(4) if b2 & 0x80 else None
            data = self._need(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if op == 0x9:
                self._frame(0xA, data)
                continue
            if op == 0x8:
                return None
            if op in (0x1, 0x2, 0x0):
                parts += data
                if b1 & 0x80:
                    return parts.decode("utf-8", "replace")

    def close(self) -> None:
        try:
            self._frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


# ---------------------------------------------------------------- SIP messages

class Msg:
    def __init__(self, text: str):
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.headers: list[tuple[str, str]] = []
        for l in lines[1:]:
            if l[:1] in (" ", "\t") and self.headers:
                k, v = self.headers[-1]
                self.headers[-1] = (k, v + " " + l.strip())
            else:
                k, _, v = l.partition(":")
                self.headers.append((k.strip(), v.strip()))
        self.is_response = self.first.startswith("SIP/2.0 ")
        if self.is_response:
            self.status = int(self.first.split()[1])
            self.method = self.get("CSeq").split()[1]
        else:
            self.method, self.uri = self.first.split()[:2]

    COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length", "c": "content-type"}

    def all(self, name: str) -> list[str]:
        name = name.lower()
        out = []
        for k, v in self.headers:
            k = self.COMPACT.get(k.lower(), k.lower())
            if k == name:
                out.append(v)
        return out

    def get(self, name: str) -> str:
        a = self.all(name)
        return a[0] if a else ""

    def list(self, name: str) -> list[str]:
        """Comma-separated values of all headers of this name (no quoted commas expected)."""
        return [p.strip() for v in self.all(name) for p in v.split(",") if p.strip()]

    def __str__(self) -> str:
        return self.first


def tag_of(v: str) -> str:
    m = re.search(r";\s*tag=([^;>\s]+)", v)
    return m.group(1) if m else ""


def uri_of(v: str) -> str:
    m = re.search(r"<([^>]+)>", v)
    return m.group(1) if m else v.split(";")[0].strip()


def parse_challenge(v: str) -> dict:
    return {k.lower(): (q if q else t) for k, q, t in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', v)}


def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


# ---------------------------------------------------------------- the UA

WEBRTC_OFFER = """v=0
o=- {sess} 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS stream
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2113937151 127.0.0.1 {port} typ host generation 0 network-cost 999
a=ice-ufrag:{ufrag}
a=ice-pwd:{pwd}
a=ice-options:trickle
a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF
a=setup:{setup}
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=msid:stream track
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:1234 cname:rigwsua
"""


def webrtc_sdp(setup: str = "actpass", answer_to: str | None = None, direction: str = "sendrecv") -> str:
    sdp = WEBRTC_OFFER.format(sess=random_digits(18), port=50000 + secrets.randbelow(10000),
                              ufrag=secrets.token_hex(2), pwd=secrets.token_hex(12), setup=setup)
    if answer_to is not None:
        # Answer with PCMU + telephone-event at the offer's payload type, as Chromium would.
        pt_te = re.search(r"a=rtpmap:(\d+) telephone-event/8000", answer_to)
        te = pt_te.group(1) if pt_te else "101"
        keep = []
        for l in sdp.splitlines():
            if l.startswith("m=audio"):
                l = f"m=audio 9 UDP/TLS/RTP/SAVPF 0 {te}"
            elif l.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:")) and not l.startswith(("a=rtpmap:0 ",)):
                continue
            elif l.startswith(("a=ice-options", "a=group:BUNDLE")):
                continue
            keep.append(l)
        keep.append(f"a=rtpmap:{te} telephone-event/8000")
        sdp = "\n".join(keep) + "\n"
    sdp = sdp.replace("a=sendrecv\n", f"a={direction}\n")
    return sdp.replace("\n", "\r\n")


def random_digits(n: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(n))


class Dialog:
    def __init__(self):
        self.call_id = ""
        self.local_tag = ""
        self.remote_tag = ""
        self.local_uri = ""
        self.remote_uri = ""
        self.remote_target = ""
        self.route: list[str] = []
        self.cseq = 0
        self.remote_sdp = ""
        self.invite: Msg | None = None


class WsUA:
    def __init__(self, ws_url: str, user: str, password: str, domain: str):
        self.user, self.password, self.domain = user, password, domain
        self.aor = f"sip:{user}@{domain}"
        self.host = secrets.token_hex(6) + ".invalid"
        self.contact_uri = f"sip:{secrets.token_hex(4)}@{self.host};transport=ws"
        self.instance = f"urn:uuid:{uuid.uuid4()}"
        self.ws = WebSocket(ws_url)
        self.inbox: queue.Queue[Msg] = queue.Queue()
        self.log: list[tuple[float, str, str]] = []  # (time, 'in'|'out', text)
        self.reg_cseq = 0
        self.reg_call_id = secrets.token_hex(10)
        self.reg_tag = secrets.token_hex(5)
        self.nc = 0
        threading.Thread(target=self._read, daemon=True).start()

    # transport
    def _read(self) -> None:
        try:
            while True:
                t = self.ws.recv()
                if t is None:
                    break
                self.log.append((time.monotonic(), "in", t))
                m = Msg(t)
                if not m.is_response and m.method == "OPTIONS":
                    self.respond(m, 200, "OK")
                    continue
                self.inbox.put(m)
        except (OSError, ConnectionError):
            pass

    def send(self, text: str) -> None:
        self.log.append((time.monotonic(), "out", text))
        self.ws.send(text)

    def expect(self, pred, timeout: float = 10.0, what: str = "message") -> Msg:
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} within {timeout} s")
                try:
                    m = self.inbox.get(timeout=left)
                except queue.Empty:
                    raise TimeoutError(f"no {what} within {timeout} s") from None
                if pred(m):
                    return m
                skipped.append(m)
        finally:
            for m in skipped:
                self.inbox.put(m)

    # building
    def via(self, branch: str | None = None) -> str:
        return f"SIP/2.0/WS {self.host};branch={branch or 'z9hG4bK' + secrets.token_hex(8)}"

    def request(self, method: str, uri: str, headers: list[str], body: str = "", ctype: str = "application/sdp") -> str:
        lines = [f"{method} {uri} SIP/2.0"] + headers
        lines.append("Max-Forwards: 70")
        lines.append("User-Agent: agentbar-rig wsua")
        if body:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def respond(self, req: Msg, code: int, reason: str, extra: list[str] | None = None, body: str = "", to_tag: str = "") -> None:
        lines = [f"SIP/2.0 {code} {reason}"]
        lines += [f"Via: {v}" for v in req.all("via")]
        lines += [f"Record-Route: {v}" for v in req.all("record-route")]
        lines.append(f"From: {req.get('from')}")
        to = req.get("to")
        if to_tag and not tag_of(to):
            to += f";tag={to_tag}"
        lines.append(f"To: {to}")
        lines.append(f"Call-ID: {req.get('call-id')}")
        lines.append(f"CSeq: {req.get('cseq')}")
        lines += extra or []
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.send("\r\n".join(lines) + "\r\n\r\n" + body)

    def auth_header(self, chal_msg: Msg, method: str, uri: str) -> str:
        proxy = chal_msg.status == 407
        c = parse_challenge(chal_msg.get("proxy-authenticate" if proxy else "www-authenticate"))
        self.nc += 1
        nc = f"{self.nc:08x}"
        cnonce = secrets.token_hex(8)
        ha1 = md5(f"{self.user}:{c['realm']}:{self.password}")
        ha2 = md5(f"{method}:{uri}")
        if "qop" in c:
            resp = md5(f"{ha1}:{c['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            qop = f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            resp = md5(f"{ha1}:{c['nonce']}:{ha2}")
            qop = ""
        opaque = f', opaque="{c["opaque"]}"' if "opaque" in c else ""
        name = "Proxy-Authorization" if proxy else "Authorization"
        return (f'{name}: Digest username="{self.user}", realm="{c["realm"]}", nonce="{c["nonce"]}", '
                f'uri="{uri}", response="{resp}", algorithm=MD5{qop}{opaque}')

    # registration
    def register(self, expires: int = 600, timeout: float = 5.0) -> Msg:
        auth = None
        for _ in range(3):
            self.reg_cseq += 1
            hdrs = [
                f"Via: {self.via()}",
                f"To: <{self.aor}>",
                f"From: <{self.aor}>;tag={self.reg_tag}",
                f"Call-ID: {self.reg_call_id}",
                f"CSeq: {self.reg_cseq} REGISTER",
                f'Contact: <{self.contact_uri}>;+sip.ice;reg-id=1;+sip.instance="<{self.instance}>";expires={expires}',
                f"Expires: {expires}",
                "Allow: INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,UPDATE",
                "Supported: path, outbound",
            ]
            if auth:
                hdrs.append(auth)
            self.send(self.request("REGISTER", f"sip:{self.domain}", hdrs))
            cseq = f"{self.reg_cseq} REGISTER"
            r = self.expect(lambda m: m.is_response and m.get("cseq") == cseq and m.status >= 200, timeout, "REGISTER response")
            if r.status in (401, 407):
                auth = self.auth_header(r, "REGISTER", f"sip:{self.domain}")
                continue
            return r
        return r

    # calls
    def invite(self, target: str, sdp: str, timeout: float = 15.0) -> tuple[Dialog, Msg]:
        d = Dialog()
        d.call_id = secrets.token_hex(10)
        d.local_tag = secrets.token_hex(5)
        d.local_uri = self.aor
        d.remote_uri = target
        auth = None
        for _ in range(3):
            d.cseq += 1
            branch = "z9hG4bK" + secrets.token_hex(8)
            hdrs = [
                f"Via: {self.via(branch)}",
                f"To: <{target}>",
                f"From: <{self.aor}>;tag={d.local_tag}",
                f"Call-ID: {d.call_id}",
                f"CSeq: {d.cseq} INVITE",
                f"Contact: <{self.contact_uri};ob>",
                "Allow: INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,UPDATE",
                "Supported: outbound",
            ]
            if auth:
                hdrs.append(auth)
            self.send(self.request("INVITE", target, hdrs, sdp))
            cseq = f"{d.cseq} INVITE"
            while True:
                r = self.expect(lambda m: m.is_response and m.get("cseq") == cseq and m.get("call-id") == d.call_id, timeout, "INVITE response")
                if r.status >= 200:
                    break
            if r.status in (401, 407):
                # ACK the failure in the same transaction.
                self.send(self.request("ACK", target, [
                    f"Via: {self.via(branch)}", f"To: {r.get('to')}", f"From: <{self.aor}>;tag={d.local_tag}",
                    f"Call-ID: {d.call_id}", f"CSeq: {d.cseq} ACK"]))
                auth = self.auth_header(r, "INVITE", target)
                continue
            break
        if 200 <= r.status < 300:
            d.remote_tag = tag_of(r.get("to"))
            d.remote_target = uri_of(r.get("contact"))
            d.route = list(reversed(r.list("record-route")))
            d.remote_sdp = r.body
            self.send(self.in_dialog(d, "ACK", cseq=d.cseq))
        return d, r

    def in_dialog(self, d: Dialog, method: str, body: str = "", ctype: str = "application/sdp", cseq: int | None = None) -> str:
        if cseq is None:
            d.cseq += 1
            cseq = d.cseq
        hdrs = [f"Via: {self.via()}"]
        if d.route:
            hdrs.append("Route: " + ", ".join(d.route))
        hdrs += [
            f"To: <{d.remote_uri}>;tag={d.remote_tag}",
            f"From: <{d.local_uri}>;tag={d.local_tag}",
            f"Call-ID: {d.call_id}",
            f"CSeq: {cseq} {method}",
        ]
        return self.request(method, d.remote_target, hdrs, body, ctype)

    def wait_invite(self, timeout: float = 10.0) -> Msg:
        return self.expect(lambda m: not m.is_response and m.method == "INVITE", timeout, "INVITE")

    def answer(self, inv: Msg, sdp: str, timeout: float = 5.0) -> Dialog:
        d = Dialog()
        d.invite = inv
        d.call_id = inv.get("call-id")
        d.local_tag = secrets.token_hex(5)
        d.remote_tag = tag_of(inv.get("from"))
        d.local_uri = uri_of(inv.get("to"))
        d.remote_uri = uri_of(inv.get("from"))
        d.remote_target = uri_of(inv.get("contact"))
        d.route = inv.list("record-route")
        d.remote_sdp = inv.body
        d.cseq = 0
        self.respond(inv, 100, "Trying")
        self.respond(inv, 180, "Ringing", to_tag=d.local_tag)
        self.respond(inv, 200, "OK", [f"Contact: <{self.contact_uri};ob>", "Allow: INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,UPDATE", "Supported: outbound"],
                     body=sdp, to_tag=d.local_tag)
        self.expect(lambda m: not m.is_response and m.method == "ACK" and m.get("call-id") == d.call_id, timeout, "ACK")
        return d

    def request_in_dialog(self, d: Dialog, method: str, body: str = "", ctype: str = "application/sdp", timeout: float = 5.0) -> Msg:
        auth = None
        for _ in range(2):
            text = self.in_dialog(d, method, body, ctype)
            if auth:
                text = text.replace("\r\nMax-Forwards:", f"\r\n{auth}\r\nMax-Forwards:", 1)
            self.send(text)
            cseq = f"{d.cseq} {method}"
            r = self.expect(lambda m: m.is_response and m.get("cseq") == cseq and m.get("call-id") == d.call_id and m.status >= 200, timeout, f"{method} response")
            if r.status in (401, 407):
                auth = self.auth_header(r, method, d.remote_target)
                continue
            return r
        return r

    def reinvite(self, d: Dialog, sdp: str) -> Msg:
        """A re-INVITE (hold, resume, ICE restart) in the dialog; ACKs a 2xx."""
        r = self.request_in_dialog(d, "INVITE", sdp)
        if 200 <= r.status < 300:
            d.remote_sdp = r.body
            self.send(self.in_dialog(d, "ACK", cseq=d.cseq))
        return r

    def answer_reinvite(self, d: Dialog, sdp_for, timeout: float = 10.0) -> Msg:
        """Wait for the peer's re-INVITE, answer 200 with sdp_for(offer), wait for the ACK."""
        m = self.expect(lambda m: not m.is_response and m.method == "INVITE" and m.get("call-id") == d.call_id, timeout, "re-INVITE")
        self.respond(m, 200, "OK", [f"Contact: <{self.contact_uri};ob>"], body=sdp_for(m.body))
        self.expect(lambda x: not x.is_response and x.method == "ACK" and x.get("call-id") == d.call_id, timeout, "ACK")
        return m

    def info_dtmf(self, d: Dialog, digit: str, duration: int = 160) -> Msg:
        return self.request_in_dialog(d, "INFO", f"Signal={digit}\r\nDuration={duration}\r\n", "application/dtmf-relay")

    def bye(self, d: Dialog) -> Msg:
        return self.request_in_dialog(d, "BYE")

    def wait_bye(self, d: Dialog, timeout: float = 10.0) -> Msg:
        m = self.expect(lambda m: not m.is_response and m.method == "BYE" and m.get("call-id") == d.call_id, timeout, "BYE")
        self.respond(m, 200, "OK")
        return m

    def close(self) -> None:
        self.ws.close()

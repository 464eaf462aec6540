#!/usr/bin/env python3
"""agentbar voice rig: Kamailio + rtpengine + baresip on loopback, for tests.

    rig/start.sh [--softagent] [--ua NAME=USER:HZ[:dtls]] [--keep] [--json-file PATH]

Starts rtpengine (userspace), Kamailio (SIP over UDP/TCP and WebSocket, digest auth) and one
baresip per simulated phone as child processes, with configs generated into a fresh temp dir
and ports picked free on 127.0.0.1. Each is probed until it answers. Then one JSON line goes to
stdout (ports, URLs, users, passwords, baresip control ports, log and recording paths) and the
rig stays up until SIGTERM/SIGINT, stdin closing (--stdin-eof), or its parent exiting; then it
stops every child (whole process groups) and removes the temp dir (unless --keep).

Python 3.11 standard library only. See rig/README.md.
"""

from __future__ import annotations

import argparse
import array
import ctypes
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baresip_ctl import Baresip  # noqa: E402

RIG_DIR = Path(__file__).resolve().parent
DOMAIN = "agentbar.test"

# The rig's SIP users: user -> (role, password). 1001 is the agent (the toolbar in the browser,
# over WebSocket); 1002 the customer (baresip); 1003 a second agent played by baresip with
# DTLS-SRTP like a browser (the self-test's stand-in for the browser; also a consult target);
# 1004 a spare (consultee / transfer target); 1005 an echo (baresip's echo module: answers at
# once and sends back what it hears, for round-trip measurements).
USERS = {
    "1001": ("agent", "agent1001"),
    "1002": ("customer", "customer1002"),
    "1003": ("softagent", "softagent1003"),
    "1004": ("consultee", "consultee1004"),
    "1005": ("echo", "echo1005"),
}

MODULES_BASE = ["g711.so", "aufile.so", "aubridge.so", "sndfile.so"]


def log(*a: object) -> None:
    print("[rig]", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- ports

_taken: set[int] = set()


def _free_udp_tcp(port: int, tcp: bool = True) -> bool:
    socks = []
    try:
        kinds = [socket.SOCK_DGRAM] + ([socket.SOCK_STREAM] if tcp else [])
        for kind in kinds:
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def pick_port(tcp: bool = True) -> int:
    """A port free for both UDP and TCP on 127.0.0.1, outside the ephemeral range."""
    for _ in range(500):
        p = random.randrange(20000, 32000)
        if p not in _taken and _free_udp_tcp(p, tcp):
            _taken.add(p)
            return p
    raise RuntimeError("no free port")


def pick_range(n: int) -> tuple[int, int]:
    """n consecutive UDP ports (even start) free on 127.0.0.1."""
    for _ in range(200):
        base = random.randrange(40000, 60000 - n) & ~1
        ports = range(base, base + n)
        if any(p in _taken for p in ports):
            continue
        if all(_free_udp_tcp(p, tcp=False) for p in ports):
            _taken.update(ports)
            return base, base + n - 1
    raise RuntimeError("no free port range")


# ---------------------------------------------------------------- probes

def wait_until(what: str, probe, timeout: float, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before it was ready")
        try:
            r = probe()
            if r:
                return r
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout} s ({last})")


def ng_ping(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.sendto(b"rigping d7:command4:pinge", ("127.0.0.1", port))
        data, _ = s.recvfrom(1000)
        return b"pong" in data
    finally:
        s.close()


def sip_options(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.bind(("127.0.0.1", 0))
        lp = s.getsockname()[1]
        branch = "z9hG4bK" + secrets.token_hex(8)
        msg = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{lp};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@127.0.0.1>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: {secrets.token_hex(8)}\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        s.sendto(msg.encode(), ("127.0.0.1", port))
        data, _ = s.recvfrom(4000)
        return data.startswith(b"SIP/2.0 200")
    finally:
        s.close()


def ws_handshake(port: int) -> bool:
    """A real RFC 6455 upgrade with subprotocol sip; True on 101."""
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    try:
        key = secrets.token_bytes(16).hex()[:22] + "=="
        s.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
            ).encode()
        )
        data = s.recv(2000)
        return data.startswith(b"HTTP/1.1 101")
    finally:
        s.close()


# ---------------------------------------------------------------- processes

_libc = ctypes.CDLL(None, use_errno=True)


def _child_setup(sig: int) -> None:
    # Die with the rig even if it is SIGKILLed: PR_SET_PDEATHSIG.
    _libc.prctl(1, sig, 0, 0, 0)


class Proc:
    def __init__(self, name: str, argv: list[str], logdir: Path, cwd: Path,
                 death_signal: int = signal.SIGKILL):
        self.name = name
        self.log_path = logdir / f"{name}.log"
        self.logf = open(self.log_path, "wb")
        self.p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self.logf,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=lambda: _child_setup(death_signal),
        )

    def stop(self, grace: float = 3.0) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        # Kamailio's workers (and anything else left in the group) go too.
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.p.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self.logf.close()


# ---------------------------------------------------------------- configs

def make_tone(path: Path, hz: int, seconds: int, rate: int = 8000) -> None:
    """A mono 16-bit sine WAV at half scale (what `sox -n -r RATE -c 1 -b 16 out.wav synth
    SECONDS sine HZ vol 0.5` makes, but a 900 s file in milliseconds instead of seconds):
    one second of samples holds a whole number of periods, so it is repeated."""
    one = array.array("h", (round(16383 * math.sin(2 * math.pi * hz * i / rate)) for i in range(rate)))
    if sys.byteorder != "little":
        one.byteswap()
    chunk = one.tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(chunk * seconds)


def kamailio_cfg(ports: dict, webrtc_users: dict[str, int], debug: int) -> str:
    text = (RIG_DIR / "kamailio.cfg").read_text()
    users = "\n".join(f'\t$sht(users=>{u}) = "{pw}";' for u, (_, pw) in USERS.items())
    # 1: a WebRTC leg with ICE; 2: DTLS-SRTP without ICE (a baresip stand-in, see kamailio.cfg).
    web = "\n".join(f"\t$sht(webrtc=>{u}) = {v};" for u, v in webrtc_users.items())
    repl = {
        "@SIP_PORT@": str(ports["sip"]),
        "@WS_PORT@": str(ports["ws"]),
        "@NG_PORT@": str(ports["ng"]),
        "@DOMAIN@": DOMAIN,
        "@AUTH_SECRET@": secrets.token_hex(16),
        "@USERS@": users,
        "@WEBRTC_USERS@": web,
        "@KAM_DEBUG@": str(debug),
    }
    for k, v in repl.items():
        text = text.replace(k, v)
    return text


def baresip_config(d: Path, ua: dict, sip_port: int) -> None:
    d.mkdir(parents=True)
    (d / "recordings").mkdir()
    mods = list(MODULES_BASE)
    if ua["dtls"]:
        mods.append("dtls_srtp.so")
    # The echo module answers every call itself and joins the call's player to its source
    # through an aubridge device named after the call, so both ends must be aubridge.
    source = "aubridge,nil" if ua["echo"] else f"aufile,{ua['tone_wav']}"
    lines = [
        "poll_method\t\tepoll",
        f"sip_listen\t\t127.0.0.1:{ua['sip_port']}",
        "call_local_timeout\t120",
        "call_max_calls\t\t4",
        # Microphone: the tone WAV (aufile ends the call at end of file, so it is long).
        f"audio_source\t\t{source}",
        # Speaker: an aubridge device nobody reads; what is heard is recorded by sndfile.
        "audio_player\t\taubridge,nil",
        "audio_alert\t\taubridge,nil",
        "ausrc_format\t\ts16",
        "auplay_format\t\ts16",
        f"rtp_ports\t\t{ua['rtp'][0]}-{ua['rtp'][1]}",
        # The DTLS-SRTP stand-in muxes RTCP like a browser; the customer is a classic phone.
        f"rtcp_mux\t\t{'yes' if ua['dtls'] else 'no'}",
        "jitter_buffer_delay\t2-10",
        "rtp_stats\t\tno",
        "net_interface\t\t127.0.0.1",
        "module_path\t\t/usr/lib/baresip/modules",
    ]
    lines += [f"module\t\t\t{m}" for m in mods]
    lines += [
        "module_app\t\taccount.so",
    ] + (["module_app\t\techo.so"] if ua["echo"] else []) + [
        "module_app\t\tmenu.so",
        "module_app\t\tctrl_tcp.so",
        "statmode_default\toff",  # no "[0:00:01] audio=..." status line every 100 ms in the log
        f"ctrl_tcp_listen\t\t127.0.0.1:{ua['ctrl_port']}",
        f"snd_path\t\t{d / 'recordings'}",
        "",
    ]
    (d / "config").write_text("\n".join(lines))
    user = ua["user"]
    pw = USERS[user][1]
    acc = (
        f"<sip:{user}@{DOMAIN}>;auth_pass={pw};"
        f"outbound=\"sip:127.0.0.1:{sip_port};transport=udp\";regint=600;"
        f"answermode={ua['answermode']};audio_codecs=PCMU,PCMA;ptime=20"
    )
    if ua["dtls"]:
        acc += ";mediaenc=dtls_srtp"
    (d / "accounts").write_text(acc + "\n")
    (d / "contacts").write_text("")


# ---------------------------------------------------------------- main

def parse_ua(spec: str) -> dict:
    # NAME=USER:HZ[:dtls][:auto][:echo]
    name, _, rest = spec.partition("=")
    parts = rest.split(":")
    if not name or len(parts) < 2 or parts[0] not in USERS:
        raise argparse.ArgumentTypeError(f"bad --ua {spec!r}: NAME=USER:HZ[:dtls][:auto], USER one of {list(USERS)}")
    return {
        "name": name,
        "user": parts[0],
        "hz": int(parts[1]),
        "dtls": "dtls" in parts[2:],
        "answermode": "auto" if "auto" in parts[2:] else "manual",
        "echo": "echo" in parts[2:],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ua", action="append", type=parse_ua, default=[],
                    help="a baresip phone NAME=USER:HZ[:dtls][:auto] (default: customer=1002:440)")
    ap.add_argument("--softagent", action="store_true",
                    help="also start softagent=1003:880:dtls (a browser stand-in doing DTLS-SRTP)")
    ap.add_argument("--echo", action="store_true",
                    help="also start echo=1005, a baresip that answers every call and sends back what it hears")
    ap.add_argument("--no-customer", action="store_true", help="no default customer baresip")
    ap.add_argument("--webrtc-user", action="append", default=[],
                    help="treat this user's media leg as WebRTC (with ICE) even over UDP; dtls UAs are "
                         "added without ICE")
    ap.add_argument("--tone-seconds", type=int, default=600,
                    help="length of the tone WAVs; baresip's aufile ends a call at end of file")
    ap.add_argument("--rtp-ports", type=int, default=60, help="size of rtpengine's port range")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, recordings)")
    ap.add_argument("--dir", help="use this (new or empty) dir instead of a temp dir")
    ap.add_argument("--json-file", help="also write the JSON to this file")
    ap.add_argument("--stdin-eof", action="store_true", help="stop when stdin closes")
    ap.add_argument("--kamailio-debug", type=int, default=1)
    args = ap.parse_args()

    t0 = time.monotonic()
    uas = list(args.ua)
    if not args.no_customer and not any(u["name"] == "customer" for u in uas):
        uas.insert(0, parse_ua("customer=1002:440"))
    if args.softagent and not any(u["name"] == "softagent" for u in uas):
        uas.append(parse_ua("softagent=1003:880:dtls"))
    if args.echo and not any(u["name"] == "echo" for u in uas):
        uas.append(parse_ua("echo=1005:0:echo"))
    webrtc_users = {u: 1 for u in args.webrtc_user}
    webrtc_users.update({u["user"]: 2 for u in uas if u["dtls"]})

    for tool in ("kamailio", "rtpengine", "baresip", "sox"):
        if not shutil.which(tool):
            log(f"{tool} is missing: run rig/install.sh")
            return 2

    if args.dir:
        base = Path(args.dir).resolve()
        base.mkdir(parents=True, exist_ok=True)
        own_dir = False
    else:
        base = Path(tempfile.mkdtemp(prefix="agentbar-rig-"))
        own_dir = not args.keep
    logdir = base / "logs"
    logdir.mkdir(exist_ok=True)

    procs: list[Proc] = []
    stopping = threading.Event()

    def shutdown(*_):
        stopping.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGHUP, shutdown)

    try:
        ports = {"sip": pick_port(), "ws": pick_port(), "ng": pick_port()}
        rtp_lo, rtp_hi = pick_range(args.rtp_ports)

        # Tones: 8 kHz mono s16 for baresip (PCMU), and 48 kHz ones for Chromium's fake mic.
        tones = base / "tones"
        tones.mkdir(exist_ok=True)
        for u in uas:
            if u["echo"]:
                u["tone_wav"] = None
                continue
            u["tone_wav"] = str(tones / f"{u['name']}-{u['hz']}hz-8k.wav")
            make_tone(Path(u["tone_wav"]), u["hz"], args.tone_seconds)
        browser_wav = tones / "agent-660hz-48k.wav"
        make_tone(browser_wav, 660, 60, rate=48000)

        # rtpengine, userspace only: --table=-1 (no kernel forwarding table), no config file
        # (the Debian one says table=0 and ports 2223-2225), loopback only, small port range.
        # --dtls-passive: without it rtpengine takes the DTLS client role on a browser's offer
        # (a=setup:actpass) and sends a ClientHello before the answer is even out; Chromium
        # 156 then never completes DTLS (stuck in "connecting") although the answer says
        # a=setup:passive. Passive from the start, the browser is the client and it works.
        procs.append(Proc("rtpengine", [
            "rtpengine", "--config-file=none", "--table=-1", "--foreground", "--log-stderr",
            "--pidfile=" + str(base / "rtpengine.pid"),
            "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{ports['ng']}",
            f"--port-min={rtp_lo}", f"--port-max={rtp_hi}",
            "--num-threads=2", "--media-num-threads=1", "--http-threads=1",
            "--dtls-passive", "--delete-delay=0", "--timeout=120", "--log-level=6",
        ] + os.environ.get("RIG_RTPENGINE_ARGS", "").split(), logdir, base))
        wait_until("rtpengine", lambda: ng_ping(ports["ng"]), 15, procs[-1].p)
        t_rtpengine = time.monotonic() - t0

        cfg = base / "kamailio.cfg"
        cfg.write_text(kamailio_cfg(ports, webrtc_users, args.kamailio_debug))
        rundir = base / "kamailio-run"
        rundir.mkdir(exist_ok=True)
        check = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            log(check.stdout + check.stderr)
            raise RuntimeError("kamailio.cfg does not check (see above)")
        procs.append(Proc("kamailio", [
            "kamailio", "-f", str(cfg), "-DD", "-E", "-m", "64", "-M", "8",
            "-Y", str(rundir), "-w", str(rundir), "-P", str(base / "kamailio.pid"),
        ], logdir, base, death_signal=signal.SIGTERM))
        wait_until("kamailio (SIP UDP)", lambda: sip_options(ports["sip"]), 20, procs[-1].p)
        wait_until("kamailio (WebSocket)", lambda: ws_handshake(ports["ws"]), 10, procs[-1].p)
        t_kamailio = time.monotonic() - t0

        phones = {}
        for u in uas:
            u["sip_port"] = pick_port()
            u["ctrl_port"] = pick_port(tcp=True)
            u["rtp"] = pick_range(20)
            d = base / "baresip" / u["name"]
            baresip_config(d, u, ports["sip"])
            procs.append(Proc(f"baresip-{u['name']}", ["baresip", "-4", "-f", str(d)] + (["-s"] if os.environ.get("RIG_SIP_TRACE") else []), logdir, base))
            u["proc"] = procs[-1]
            u["dir"] = d
        for u in uas:
            proc = u["proc"]
            ctl = wait_until(f"baresip {u['name']} control port",
                             lambda: Baresip("127.0.0.1", u["ctrl_port"], timeout=1), 15, proc.p)
            aor = f"sip:{u['user']}@{DOMAIN}"
            wait_until(f"baresip {u['name']} registration",
                       lambda: ctl.registered(aor), 15, proc.p)
            ctl.close()
            phones[u["name"]] = {
                "user": u["user"],
                "aor": aor,
                "password": USERS[u["user"]][1],
                "ctrl_tcp": f"127.0.0.1:{u['ctrl_port']}",
                "ctrl_host": "127.0.0.1",
                "ctrl_port": u["ctrl_port"],
                "sip": f"127.0.0.1:{u['sip_port']}",
                "tone_hz": None if u["echo"] else u["hz"],
                "echo": u["echo"],
                "tone_wav": u["tone_wav"],
                "media": "UDP/TLS/RTP/SAVPF (DTLS-SRTP)" if u["dtls"] else "RTP/AVP",
                "answermode": "echo (answers at once)" if u["echo"] else u["answermode"],
                "recordings": str(u["dir"] / "recordings"),
                "log": str(proc.log_path),
                "pid": proc.p.pid,
            }

        info = {
            "ready": True,
            "domain": DOMAIN,
            "ws_url": f"ws://127.0.0.1:{ports['ws']}",
            "ws_port": ports["ws"],
            "sip_udp": f"127.0.0.1:{ports['sip']}",
            "sip_tcp": f"127.0.0.1:{ports['sip']}",
            "sip_port": ports["sip"],
            "outbound_proxy": f"sip:127.0.0.1:{ports['sip']};transport=udp",
            "rtpengine_ng": f"127.0.0.1:{ports['ng']}",
            "rtp_ports": [rtp_lo, rtp_hi],
            "users": {u: {"role": r, "aor": f"sip:{u}@{DOMAIN}", "password": pw,
                          "auth_user": u, "realm": DOMAIN} for u, (r, pw) in USERS.items()},
            "webrtc_users": {u: ("webrtc" if v == 1 else "dtls-srtp without ICE") for u, v in webrtc_users.items()},
            "baresip": phones,
            "browser_fake_audio_wav": str(browser_wav),
            "browser_fake_audio_hz": 660,
            "chromium_flags": [
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={browser_wav}",
                "--allow-loopback-in-peer-connection",
            ],
            "dir": str(base),
            "logs": {p.name: str(p.log_path) for p in procs},
            "pid": os.getpid(),
            "ready_ms": {
                "rtpengine": round(t_rtpengine * 1000),
                "kamailio": round(t_kamailio * 1000),
                "all": round((time.monotonic() - t0) * 1000),
            },
        }
        line = json.dumps(info, separators=(",", ":"))
        if args.json_file:
            Path(args.json_file).write_text(line + "\n")
        print(line, flush=True)
        log(f"ready in {info['ready_ms']['all']} ms: {info['ws_url']} (SIP UDP/TCP {info['sip_udp']}), dir {base}")

        if args.stdin_eof:
            def watch_stdin():
                try:
                    while sys.stdin.buffer.read(4096):
                        pass
                finally:
                    stopping.set()
            threading.Thread(target=watch_stdin, daemon=True).start()

        parent = os.getppid()
        while not stopping.wait(0.5):
            if os.getppid() != parent:
                log("parent went away; stopping")
                break
            for p in procs:
                if p.p.poll() is not None:
                    log(f"{p.name} exited with status {p.p.returncode}; see {p.log_path}")
                    stopping.set()
        return 0
    except Exception as e:  # noqa: BLE001
        log(f"error: {e}")
        for p in procs:
            try:
                tail = p.log_path.read_text(errors="replace").splitlines()[-15:]
                log(f"--- last lines of {p.log_path}:\n" + "\n".join(tail))
            except OSError:
                pass
        return 1
    finally:
        for p in reversed(procs):
            p.stop()
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)
        else:
            log(f"kept {base}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Self-test of the voice rig, no browser needed.

Starts rig/start.sh --softagent (with SIP traces on), then:

  1. media: softagent (1003, baresip doing DTLS-SRTP over UDP/TLS/RTP/SAVPF like a browser,
     880 Hz) calls the customer (1002, plain RTP/AVP, 440 Hz) through Kamailio + rtpengine;
     both record what they hear; DTMF both ways (RFC 4733 telephone-events);
  2. media the other way round: the customer calls the softagent (a plain offer turned into a
     WebRTC offer, and a WebRTC answer turned back into a plain one);
  3. SIP over WebSocket as agentbar-sip does it (rig/wsua.py as agent 1001): REGISTER with
     digest, an incoming call (the SDP the browser would get must be WebRTC-shaped, the
     customer's must be plain), INFO DTMF to the customer, hold/resume both ways
     (re-INVITEs), BYE both ways, an outgoing call, unregister;
  4. the recordings: each side must hear the other's tone (Goertzel, within 5 Hz, over half of
     the energy at that frequency).

Prints a report and one JSON line of figures; exit status 0 when every check passed.
"""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from baresip_ctl import Baresip  # noqa: E402
from tones import analyse  # noqa: E402
from wsua import WsUA, webrtc_sdp  # noqa: E402

TALK_S = float(os.environ.get("RIG_SELFTEST_TALK_S", "4"))

checks: list[tuple[str, bool, str]] = []
figures: dict = {}


def check(name: str, ok: bool, detail: str = "") -> bool:
    checks.append((name, bool(ok), detail))
    print(f"  {'PASS' if ok else 'FAIL'}  {name}{(': ' + detail) if detail else ''}", flush=True)
    return bool(ok)


def newest(pattern: str, after: set[str]) -> str | None:
    files = [f for f in glob.glob(pattern) if f not in after]
    return max(files, key=os.path.getmtime) if files else None


def media_call(name: str, caller: Baresip, callee: Baresip, callee_aor: str, info: dict,
               caller_name: str, callee_name: str) -> dict:
    """caller dials callee, callee accepts, both talk TALK_S seconds, DTMF both ways, hang up."""
    ph = info["baresip"]
    rec = {n: ph[n]["recordings"] for n in (caller_name, callee_name)}
    before = {n: set(glob.glob(rec[n] + "/*")) for n in rec}
    t0 = caller.mark()
    callee.mark()
    r = caller.command("dial", callee_aor)
    check(f"{name}: dial accepted", r.get("ok"), r.get("data", "").strip())
    inc = callee.wait_event("CALL_INCOMING", 10)
    t_ring = inc["_t"] - t0
    callee.command("accept")
    est_callee = callee.wait_event("CALL_ESTABLISHED", 10)
    est_caller = caller.wait_event("CALL_ESTABLISHED", 10)
    rtp_caller = caller.wait_event("CALL_RTPESTAB", 10)
    rtp_callee = callee.wait_event("CALL_RTPESTAB", 10)
    out = {
        "invite_to_ringing_ms": round(t_ring * 1000),
        "dial_to_established_ms": round((est_caller["_t"] - t0) * 1000),
        "dial_to_first_rtp_ms": {caller_name: round((rtp_caller["_t"] - t0) * 1000),
                                 callee_name: round((rtp_callee["_t"] - t0) * 1000)},
    }
    menc = [e for e in caller.history + callee.history if e.get("type") == "CALL_MENC" and e["_t"] >= t0]
    if menc:
        out["dtls_srtp_ms"] = round((min(e["_t"] for e in menc) - t0) * 1000)
    check(f"{name}: established both sides", est_callee and est_caller,
          f"dial→200 OK {out['dial_to_established_ms']} ms, first RTP {out['dial_to_first_rtp_ms']}")
    time.sleep(TALK_S / 2)

    # DTMF both ways, RFC 4733 through rtpengine (SRTP on one leg, RTP on the other).
    t = callee.mark()
    caller.command("sndcode", "5")
    try:
        ev = callee.wait_event("CALL_DTMF_START", 5)
        check(f"{name}: DTMF {caller_name}→{callee_name}", ev.get("param") == "5",
              f"'{ev.get('param')}' after {round((ev['_t'] - t) * 1000)} ms")
    except TimeoutError as e:
        check(f"{name}: DTMF {caller_name}→{callee_name}", False, str(e))
    t = caller.mark()
    callee.command("sndcode", "9")
    try:
        ev = caller.wait_event("CALL_DTMF_START", 5)
        check(f"{name}: DTMF {callee_name}→{caller_name}", ev.get("param") == "9",
              f"'{ev.get('param')}' after {round((ev['_t'] - t) * 1000)} ms")
    except TimeoutError as e:
        check(f"{name}: DTMF {callee_name}→{caller_name}", False, str(e))
    time.sleep(TALK_S / 2)

    callee.mark()
    caller.command("hangup")
    callee.wait_event("CALL_CLOSED", 10)
    time.sleep(0.3)
    # What each side heard (sndfile's decoded dump) must be the other side's tone.
    out["heard"] = {}
    for me, peer in ((caller_name, callee_name), (callee_name, caller_name)):
        f = newest(rec[me] + "/*-dec.wav", before[me])
        if not f:
            check(f"{name}: {me} recording", False, "no recording")
            continue
        a = analyse(f, ph[peer]["tone_hz"], ph[me]["tone_hz"])
        out["heard"][me] = a
        check(f"{name}: {me} hears {peer}'s {ph[peer]['tone_hz']} Hz", a.get("ok"),
              f"peak {a.get('peak_hz')} Hz, {round(100 * a.get('power_at_expected', 0))} % of the energy there, "
              f"{a.get('rms_dbfs')} dBFS, {a.get('silent_frames')}/{a.get('frames')} silent 20 ms frames, "
              f"{a.get('seconds')} s recorded")
    return out


def last_sdp_m_line(log_path: str, direction_marker: str) -> list[str]:
    """m= lines of SIP bodies in a baresip -s trace (crude, enough for the checks)."""
    text = Path(log_path).read_text(errors="replace")
    return re.findall(r"^m=audio \d+ (\S+)", text, re.M)


def ws_checks(info: dict, customer: Baresip) -> dict:
    out: dict = {}
    users = info["users"]
    ua = WsUA(info["ws_url"], "1001", users["1001"]["password"], info["domain"])
    t = time.monotonic()
    r = ua.register()
    out["register_ms"] = round((time.monotonic() - t) * 1000)
    contacts = r.all("contact")
    check("ws: REGISTER over WebSocket with digest", r.status == 200,
          f"{r.first}, {out['register_ms']} ms (401 challenge + 200)")
    check("ws: binding keeps +sip.instance, reg-id and the flow (received=…;transport=ws)",
          any("+sip.instance" in c and "reg-id=1" in c and "transport=ws" in c and "received=" in c for c in contacts),
          contacts[0] if contacts else "no Contact")

    # A wrong password is refused (and does not loop).
    bad = WsUA(info["ws_url"], "1001", "wrong", info["domain"])
    rb = bad.register()
    check("ws: wrong password refused", rb.status in (401, 403), rb.first)
    bad.close()

    # Incoming call: customer (plain) → agent on WebSocket (WebRTC).
    customer.mark()
    cust_log = info["baresip"]["customer"]["log"]
    n_m_before = len(last_sdp_m_line(cust_log, ""))
    t0 = time.monotonic()
    customer.command("dial", "sip:1001@" + info["domain"])
    inv = ua.wait_invite(10)
    out["incoming_invite_ms"] = round((time.monotonic() - t0) * 1000)
    b = inv.body
    check("ws: INVITE reaches the WebSocket flow", inv.uri.startswith(ua.contact_uri.split(";")[0]),
          f"{inv.first} after {out['incoming_invite_ms']} ms")
    rr = inv.all("record-route")
    check("ws: Record-Route towards the browser says transport=ws", any("transport=ws" in x for x in rr), " | ".join(rr))
    webrtc_ok = ("UDP/TLS/RTP/SAVPF" in b and "a=ice-ufrag:" in b and "a=fingerprint:" in b
                 and "a=setup:actpass" in b and "a=rtcp-mux" in b and "a=candidate:" in b
                 and "a=crypto" not in b and "a=mid:" in b)
    check("ws: offer to the browser is WebRTC (UDP/TLS/RTP/SAVPF, ICE, DTLS actpass, rtcp-mux, mid)", webrtc_ok,
          re.search(r"^m=.*$", b, re.M).group(0) if re.search(r"^m=.*$", b, re.M) else "no m= line")
    d = ua.answer(inv, webrtc_sdp("active", b))
    est = customer.wait_event("CALL_ESTABLISHED", 10)
    check("ws: customer sees the call established", est is not None)
    time.sleep(0.3)
    m_lines = last_sdp_m_line(cust_log, "")[n_m_before:]
    check("ws: answer to the customer is plain RTP/AVP", bool(m_lines) and m_lines[-1] == "RTP/AVP",
          f"customer's SDP m= protocols in this call: {m_lines}")
    t = customer.mark()
    ri = ua.info_dtmf(d, "7")
    ev = customer.wait_event("CALL_DTMF_START", 5)
    check("ws: INFO DTMF from the browser reaches the customer", ri.status == 200 and ev.get("param") == "7",
          f"INFO → {ri.status}, customer got '{ev.get('param')}' after {round((ev['_t'] - t) * 1000)} ms")
    # Hold and resume from the browser (re-INVITEs with a=sendonly / a=sendrecv).
    r = ua.reinvite(d, webrtc_sdp("actpass", direction="sendonly"))
    b = r.body
    check("ws: hold from the browser (re-INVITE sendonly → 200 recvonly, still WebRTC)",
          r.status == 200 and "a=recvonly" in b and "UDP/TLS/RTP/SAVPF" in b and "a=ice-ufrag:" in b,
          f"{r.first}; {' '.join(re.findall(r'^a=(?:sendrecv|sendonly|recvonly|inactive)', b, re.M))}")
    r = ua.reinvite(d, webrtc_sdp("actpass"))
    check("ws: resume from the browser (re-INVITE sendrecv → 200 sendrecv)",
          r.status == 200 and "a=sendrecv" in r.body, r.first)
    # Hold from the customer: the browser gets a WebRTC-shaped re-offer with a=sendonly.
    customer.command("hold")
    m = ua.answer_reinvite(d, lambda offer: webrtc_sdp("active", offer, direction="recvonly"))
    check("ws: hold from the customer reaches the browser as a WebRTC re-offer (sendonly)",
          "a=sendonly" in m.body and "UDP/TLS/RTP/SAVPF" in m.body and "a=fingerprint:" in m.body,
          f"{m.first}")
    customer.command("resume")
    m = ua.answer_reinvite(d, lambda offer: webrtc_sdp("active", offer))
    check("ws: resume from the customer", "a=sendrecv" in m.body, m.first)
    customer.command("hangup")
    bye = ua.wait_bye(d, 5)
    check("ws: customer's BYE reaches the browser (in-dialog routing to the flow)", bye is not None, bye.first)

    # Outgoing call: agent on WebSocket → customer, customer answers automatically.
    customer.command("answermode", "auto")
    customer.mark()
    t0 = time.monotonic()
    d, r = ua.invite("sip:1002@" + info["domain"], webrtc_sdp())
    out["outgoing_200_ms"] = round((time.monotonic() - t0) * 1000)
    b = r.body
    check("ws: outgoing INVITE (407 then 200)", r.status == 200, f"{r.first} after {out['outgoing_200_ms']} ms")
    check("ws: answer to the browser is WebRTC (SAVPF, ICE, DTLS passive, rtcp-mux)",
          "UDP/TLS/RTP/SAVPF" in b and "a=setup:passive" in b and "a=ice-ufrag:" in b and "a=rtcp-mux" in b,
          re.search(r"^m=.*$", b, re.M).group(0) if re.search(r"^m=.*$", b, re.M) else "no m= line")
    customer.wait_event("CALL_ESTABLISHED", 10)
    customer.mark()
    rb = ua.bye(d)
    ev = customer.wait_event("CALL_CLOSED", 5)
    check("ws: browser's BYE reaches the customer", rb.status == 200 and ev is not None, rb.first)
    customer.command("answermode", "manual")

    ru = ua.register(expires=0)
    check("ws: unregister", ru.status == 200, ru.first)
    ua.close()
    return out


def main() -> int:
    t_start = time.monotonic()
    env = dict(os.environ, RIG_SIP_TRACE="1")
    proc = subprocess.Popen([str(HERE / "start.sh"), "--softagent"] + sys.argv[1:],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        if not line:
            print("rig did not start", file=sys.stderr)
            return 1
        info = json.loads(line)
        figures["rig_ready_ms"] = info["ready_ms"]
        print(f"rig up in {info['ready_ms']['all']} ms: {info['ws_url']}, SIP {info['sip_udp']}, "
              f"rtpengine {info['rtpengine_ng']} (RTP {info['rtp_ports'][0]}-{info['rtp_ports'][1]})", flush=True)
        cust = Baresip("127.0.0.1", info["baresip"]["customer"]["ctrl_port"])
        soft = Baresip("127.0.0.1", info["baresip"]["softagent"]["ctrl_port"])

        print("1. softagent (DTLS-SRTP, 880 Hz) calls customer (RTP, 440 Hz)", flush=True)
        figures["call_softagent_to_customer"] = media_call(
            "call 1", soft, cust, info["baresip"]["customer"]["aor"], info, "softagent", "customer")
        print("2. customer calls softagent", flush=True)
        figures["call_customer_to_softagent"] = media_call(
            "call 2", cust, soft, info["baresip"]["softagent"]["aor"], info, "customer", "softagent")
        print("3. SIP over WebSocket (agent 1001 as agentbar-sip registers and calls)", flush=True)
        figures["websocket"] = ws_checks(info, cust)
        cust.close()
        soft.close()
    except Exception as e:  # noqa: BLE001
        check("selftest ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    leftovers = subprocess.run(["pgrep", "-f", "agentbar-rig-"], capture_output=True, text=True).stdout.split()
    check("rig stopped all its processes", not leftovers, " ".join(leftovers))

    failed = [c for c in checks if not c[1]]
    figures["checks"] = {"passed": len(checks) - len(failed), "failed": len(failed)}
    figures["selftest_s"] = round(time.monotonic() - t_start, 1)
    # Drop bulky fields from the JSON summary.
    for k in ("call_softagent_to_customer", "call_customer_to_softagent"):
        for a in figures.get(k, {}).get("heard", {}).values():
            a.pop("file", None)
    print(f"\n{len(checks) - len(failed)}/{len(checks)} checks passed in {figures['selftest_s']} s")
    print(json.dumps(figures, separators=(",", ":")))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())

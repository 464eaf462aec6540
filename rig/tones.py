#!/usr/bin/env python3
"""Tone analysis without numpy: Goertzel power at chosen frequencies, a peak search, and a
per-frame level profile of a 16-bit PCM WAV.

    python3 rig/tones.py FILE.wav [EXPECTED_HZ]    # prints JSON; exit 1 if the peak is off
"""

from __future__ import annotations

import array
import json
import math
import sys
import wave


def read_wav(path: str) -> tuple[list[float], int]:
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM")
        rate, ch = w.getframerate(), w.getnchannels()
        a = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        a.byteswap()
    if ch > 1:
        a = a[::ch]
    return [x / 32768.0 for x in a], rate


def goertzel(x: list[float], rate: int, hz: float) -> float:
    """|X(hz)|^2 over the block, normalised so a full-block sine of amplitude A gives A^2/4·N^2... /
    here: returned as the fraction of the block's energy at that frequency (0..1)."""
    n = len(x)
    if n == 0:
        return 0.0
    w = 2 * math.pi * hz / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + c * s1 - s2
        s2 = s1
        s1 = s0
    power = s1 * s1 + s2 * s2 - c * s1 * s2
    energy = sum(v * v for v in x)
    if energy == 0:
        return 0.0
    return power / (n / 2 * energy)


def peak(x: list[float], rate: int, lo: int = 100, hi: int = 3500) -> tuple[float, float]:
    coarse = max(range(lo, min(hi, rate // 2 - 10), 10), key=lambda f: goertzel(x, rate, f))
    best = max((coarse + d / 2 for d in range(-24, 25)), key=lambda f: goertzel(x, rate, f))
    return best, goertzel(x, rate, best)


def frame_levels(x: list[float], rate: int, ms: int = 20) -> list[float]:
    n = rate * ms // 1000
    return [math.sqrt(sum(v * v for v in x[i:i + n]) / n) for i in range(0, len(x) - n + 1, n)]


def analyse(path: str, expected: float | None = None, other: float | None = None,
            skip_s: float = 0.5, window_s: float = 0.5, at: str = "middle") -> dict:
    """The peak and the share of energy at `expected` in a window_s block of the recording:
    from its middle (after skip_s), its start (right after skip_s) or its end (the last block
    but 0.1 s)."""
    x, rate = read_wav(path)
    dur = len(x) / rate if rate else 0
    a = int(skip_s * rate)
    levels = frame_levels(x[a:], rate)
    steady = [l for l in levels]
    # Analyse the middle of the recording (after skip_s).
    mid = a + max(0, (len(x) - a) // 2 - int(window_s * rate) // 2)
    if at == "start":
        mid = a
    elif at == "end":
        mid = max(a, len(x) - int((window_s + 0.1) * rate))
    block = x[mid: mid + int(window_s * rate)]
    out: dict = {"file": path, "rate": rate, "seconds": round(dur, 2)}
    if not block:
        out["error"] = "recording too short"
        return out
    f, purity = peak(block, rate)
    out.update({
        "peak_hz": round(f, 1),
        "peak_purity": round(purity, 3),
        "rms_dbfs": round(20 * math.log10(max(1e-9, math.sqrt(sum(v * v for v in block) / len(block)))), 1),
        "silent_frames": sum(1 for l in steady if l < 0.01),
        "frames": len(steady),
    })
    if expected is not None:
        out["expected_hz"] = expected
        out["power_at_expected"] = round(goertzel(block, rate, expected), 3)
        out["ok"] = abs(f - expected) <= 5 and out["power_at_expected"] > 0.5
    if other is not None:
        out["other_hz"] = other
        out["power_at_other"] = round(goertzel(block, rate, other), 4)
    return out


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    exp = float(sys.argv[2]) if len(sys.argv) > 2 else None
    r = analyse(sys.argv[1], exp)
    print(json.dumps(r))
    sys.exit(0 if r.get("ok", True) else 1)

#!/usr/bin/env bash
# The voice rig's self-test. Part 1 needs no browser: two baresips through Kamailio +
# rtpengine (one doing DTLS-SRTP like a browser), tones and DTMF checked both ways, plus SIP
# over WebSocket as the toolbar will speak it (selftest.py with wsua.py). Part 2, when Debian's
# Chromium and the repository's playwright-core are there (and --no-browser is not given): real
# WebRTC from headless Chromium through the rig (browsercheck.mjs + browser-page.js): tones both
# ways, DTMF, hold/resume both ways, hang-up both ways, first-packet time, audio round trip.
# Every check prints PASS or FAIL; the exit status is 1 if any failed (or a part was skipped
# with --require-browser).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
browser=1
args=()
for a in "$@"; do
  case "$a" in
    --no-browser) browser=0 ;;
    --require-browser) browser=2 ;;
    *) args+=("$a") ;;
  esac
done
"$here/install.sh"
start=$(date +%s.%N)
status=0
echo "== part 1: baresip ↔ Kamailio + rtpengine ↔ baresip, and SIP over WebSocket"
python3 "$here/selftest.py" "${args[@]+"${args[@]}"}" || status=1
if [ "$browser" != 0 ]; then
  if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -d "$here/../node_modules/playwright-core" ] && command -v node >/dev/null; then
    echo "== part 2: headless Chromium (RTCPeerConnection) ↔ Kamailio + rtpengine ↔ baresip"
    node "$here/browsercheck.mjs" || status=1
  else
    echo "== part 2 skipped: needs ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium), node and node_modules/playwright-core"
    [ "$browser" = 2 ] && status=1
  fi
fi
secs=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 1))")
if [ $status = 0 ]; then echo "== selftest: PASS in ${secs} s"; else echo "== selftest: FAIL in ${secs} s (see the FAIL lines above)"; fi
exit $status

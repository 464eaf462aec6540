#!/usr/bin/env bash
# The voice rig's self-test. Part 1 needs no browser: two baresips through Kamailio +
# rtpengine (one doing DTLS-SRTP like a browser), tones and DTMF checked both ways, plus SIP
# over WebSocket as the toolbar will speak it (selftest.py). Part 2, when Debian's Chromium and
# the repository's playwright-core are there (and --no-browser is not given): real WebRTC from
# headless Chromium through the rig (browsercheck.mjs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
browser=1
args=()
for a in "$@"; do
  case "$a" in
    --no-browser) browser=0 ;;
    *) args+=("$a") ;;
  esac
done
"$here/install.sh"
status=0
echo "== part 1: baresip ↔ Kamailio + rtpengine ↔ baresip, and SIP over WebSocket"
python3 "$here/selftest.py" "${args[@]+"${args[@]}"}" || status=1
if [ "$browser" = 1 ]; then
  if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -d "$here/../node_modules/playwright-core" ] && command -v node >/dev/null; then
    echo "== part 2: headless Chromium (RTCPeerConnection) ↔ Kamailio + rtpengine ↔ baresip"
    node "$here/browsercheck.mjs" || status=1
  else
    echo "== part 2 skipped: needs ${CHROMIUM:-/usr/bin/chromium}, node and node_modules/playwright-core (./dev.sh setup)"
  fi
fi
exit $status

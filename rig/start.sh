#!/usr/bin/env bash
# Starts the voice rig (rtpengine + Kamailio + baresip on loopback) and prints one JSON line
# when everything answers; stops it all on SIGTERM/SIGINT. Options: see `rig/start.sh --help`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install.sh"
exec python3 "$here/rig.py" "$@"

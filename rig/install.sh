#!/usr/bin/env bash
# Installs the voice test rig's Debian packages (bookworm): Kamailio 5.6 with the WebSocket
# module (rtpengine, nathelper and the rest are in the main package), rtpengine 10.5 (the
# userspace daemon only: no DKMS kernel module, no iptables extension, no recording daemon),
# baresip 1.0 and sox. Idempotent; a no-op (well under a second)
# when everything is there. Unattended; services that apt would start are kept from starting.
set -euo pipefail

PKGS=(
  kamailio                     # core + tm, sl, rr, registrar, usrloc, auth, nathelper, rtpengine, ...
  kamailio-websocket-modules   # websocket.so (SIP over WebSocket, RFC 7118)
  rtpengine-daemon             # /usr/bin/rtpengine, userspace media relay (ICE, DTLS-SRTP, transcoding)
  baresip-core                 # /usr/bin/baresip and its modules (aufile, ctrl_tcp, sndfile, ...)
  sox                          # tone generation and analysis
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else echo "rig/install.sh: need root for: $*" >&2; exit 1; fi; }

echo "rig/install.sh: installing ${missing[*]}" >&2

# Keep apt from starting kamailio / rtpengine with their default configs (ports 5060, 2223...).
# Docker images already ship a policy-rc.d that says 101; otherwise put one in place for the run.
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  created_policy=1
fi
cleanup() { if [ -n "$created_policy" ]; then as_root rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

# Refresh the package lists only if they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_InRelease' -mtime -1 2>/dev/null | head -1)" ]; then
  as_root apt-get update -q
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"

# On a systemd host the units may have been enabled and started anyway: stop them and leave them
# disabled; the rig runs its own processes on its own loopback ports.
if [ -d /run/systemd/system ]; then
  for unit in kamailio rtpengine-daemon; do
    as_root systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi

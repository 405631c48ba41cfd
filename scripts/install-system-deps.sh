#!/usr/bin/env bash
# Install the Debian packages listed in LIST (one a line: name, then why), only
# those missing (neither installed nor a command of that name on PATH), and say which are installed and why; then create the
# unprivileged user that runs servers refusing root (PostgreSQL's initdb).
# Afterwards check that the parts the tests start really work: a half-installed
# GStreamer, a chromium that cannot start or a missing `ip` would otherwise show
# up later as a confusing test failure.
# Usage: install-system-deps.sh PG_USER LIST
set -euo pipefail
pg_user=$1 list=$2
declare -A why=()
packages=()
while read -r name reason; do
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  packages+=("$name"); why[$name]=$reason
done < "$list"

missing=()
for pkg in "${packages[@]}"; do
  # present: installed by dpkg, or a command of that name (NodeSource's nodejs bundles npm,
  # and Debian's npm package would conflict with it)
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || command -v "$pkg" >/dev/null || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian packages: all ${#packages[@]} of $list are installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "Debian packages: installing ${#missing[@]} of the ${#packages[@]} in $list"
  for pkg in "${missing[@]}"; do printf '  %-28s %s\n' "$pkg" "${why[$pkg]}"; done
  # answers to the packages' install questions (slapd: no system directory of its own)
  $sudo debconf-set-selections < "$(dirname "$0")/debconf-selections.txt"
  # another apt (unattended-upgrades on a new machine) may hold the lock for a while: wait for it
  apt=(apt-get -qq -o DPkg::Lock::Timeout=600)
  $sudo "${apt[@]}" update
  DEBIAN_FRONTEND=noninteractive $sudo "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" \
  || { echo "GstRtspServer is not importable by /usr/bin/python3" >&2; exit 1; }
for element in videotestsrc textoverlay timeoverlay valve imagefreeze videobalance videoscale \
    videorate x264enc rtph264pay x265enc rtph265pay avenc_aac rtpmp4gpay; do
  gst-inspect-1.0 --exists "$element" || { echo "GStreamer element $element is missing" >&2; exit 1; }
done
command -v turnserver >/dev/null || { echo "turnserver (coturn) is missing" >&2; exit 1; }
# WebRTC tests run in a network namespace of their own (controller/bench/netns.py)
for tool in ip unshare nsenter runuser; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (iproute2, util-linux)" >&2; exit 1; }
done
# the console and WHEP tests drive Debian's chromium through Playwright (no downloaded browser)
/usr/bin/chromium --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 \
  || { echo "/usr/bin/chromium does not run" >&2; exit 1; }
# the directory sign-in tests start their own slapd; the SSO tests run oidc-provider under node
[ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] || { echo "slapd is missing" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "node or npm is missing" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ] && ! id "$pg_user" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
fi
exit 0

#!/usr/bin/env bash
# Install the Debian packages the tests need, only when missing, and the
# unprivileged user that runs servers refusing root (PostgreSQL's initdb).
# When GStreamer's RTSP server is among the packages, check that Debian's
# python3 can load it and that the elements the simulated cameras use exist:
# a half-installed GStreamer would otherwise show up as a confusing test failure.
# Likewise check that ip/unshare (WebRTC tests' network namespaces) and chromium run.
# Usage: install-system-deps.sh PG_USER PACKAGE...
set -euo pipefail
pg_user=$1; shift
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null && sudo="sudo" || {
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
case " $* " in
  *" gir1.2-gst-rtsp-server-1.0 "*)
    /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" \
      || { echo "GstRtspServer is not importable by /usr/bin/python3" >&2; exit 1; }
    for element in videotestsrc textoverlay timeoverlay valve imagefreeze videobalance videoscale \
        videorate x264enc rtph264pay avdec_h264; do
      gst-inspect-1.0 --exists "$element" || { echo "GStreamer element $element is missing" >&2; exit 1; }
    done ;;
esac
case " $* " in
  *" iproute2 "*)
    # WebRTC tests run in a network namespace of their own (controller/bench/netns.py)
    for tool in ip unshare; do
      command -v "$tool" >/dev/null || { echo "$tool is missing (iproute2, util-linux)" >&2; exit 1; }
    done ;;
esac
case " $* " in
  *" chromium "*)
    # the browser WHEP test drives Debian's chromium through Playwright (no downloaded browser)
    /usr/bin/chromium --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 \
      || { echo "/usr/bin/chromium does not run" >&2; exit 1; } ;;
esac
if [ "$(id -u)" -eq 0 ] && ! id "$pg_user" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
fi
exit 0

#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; install it when missing (root on a fresh machine).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "chromium is missing and this is not root: apt-get install chromium" >&2; exit 1; fi
echo "installing Debian's chromium for the browser tests…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null

#!/usr/bin/env bash
# Optional: Debian's Chromium, for the PNG screenshots of `npm run preview`.
# Nothing else needs it (npm test never does). Safe to run again: it does
# nothing when both are already there. Needs root (or sudo) and apt.
set -euo pipefail

# fonts-liberation: Arial-metric fonts, so cards in screenshots wrap about as they do in Teams
# (Chromium only recommends it).
PACKAGES=(chromium fonts-liberation)

if [ -x /usr/bin/chromium ] && dpkg -s fonts-liberation >/dev/null 2>&1; then
  echo "chromium is already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install Chromium with your system's package manager so that /usr/bin/chromium exists" >&2
  exit 1
fi

run_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

run_as_root apt-get update
run_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
/usr/bin/chromium --version 2>/dev/null

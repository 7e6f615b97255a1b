#!/bin/sh
# Makes sure a Chromium for the end-to-end tests exists (Debian's package),
# installing it with apt-get when it is missing. Run by `deno task test`.
set -eu

found_chromium() {
  if [ -x /usr/bin/chromium ]; then
    echo "ensure-chromium: found /usr/bin/chromium"
    return 0
  fi
  if path=$(command -v chromium 2>/dev/null) && [ -n "$path" ]; then
    echo "ensure-chromium: found chromium at $path"
    return 0
  fi
  return 1
}

if found_chromium; then
  exit 0
fi

echo "ensure-chromium: chromium is not installed; the end-to-end tests need it."

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: error: apt-get is not available, so chromium cannot be installed automatically." >&2
  echo "ensure-chromium: install Chromium yourself (it must be at /usr/bin/chromium or on PATH as 'chromium')." >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "ensure-chromium: error: not running as root and sudo is not available, so apt-get cannot install chromium." >&2
  echo "ensure-chromium: run as root: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

echo "ensure-chromium: running: ${SUDO:+$SUDO }apt-get update"
if ! $SUDO apt-get update; then
  echo "ensure-chromium: error: 'apt-get update' failed." >&2
  exit 1
fi

echo "ensure-chromium: running: ${SUDO:+$SUDO }apt-get install -y chromium"
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; then
  echo "ensure-chromium: error: 'apt-get install -y chromium' failed." >&2
  exit 1
fi

if found_chromium; then
  echo "ensure-chromium: chromium installed."
  exit 0
fi
echo "ensure-chromium: error: apt-get finished but chromium is still not found at /usr/bin/chromium or on PATH." >&2
exit 1

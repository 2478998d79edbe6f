#!/usr/bin/env bash
# Sourced by scripts/serve and scripts/test: installs what Reelhouse needs on a fresh Debian machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

apt_install() {
  # Only the packages that are missing; apt-get needs root (CI and this machine run as root).
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Reelhouse needs these Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_env() {
  # $1: pip extras spec, e.g. "." or ".[dev]"
  local stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${1//[^a-z]/}"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e "$ROOT/$1"
    touch "$stamp"
  fi
}

web_vendor() {
  # hls.js for browsers without native HLS: from the npm registry, pinned by package-lock.json.
  # Optional: without Node the server still plays direct and native HLS.
  if [ -f "$ROOT/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
    (cd "$ROOT" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) || echo "note: npm ci failed; continuing without hls.js" >&2
  fi
  # The server serves /static/vendor/ from this git-ignored folder; absent means native HLS and direct play only.
  if [ -f "$ROOT/node_modules/hls.js/dist/hls.min.js" ]; then
    mkdir -p "$ROOT/src/reelhouse/web/static/vendor"
    cp "$ROOT/node_modules/hls.js/dist/hls.min.js" "$ROOT/src/reelhouse/web/static/vendor/hls.min.js"
  fi
}

client_libraries() {
  # The Jellyfin and Subsonic client apps' own JavaScript libraries, which the tests use as judges.
  # Pinned by tests/clients/package-lock.json; the tests that need them fail, not skip, without them.
  local dir="$ROOT/tests/clients"
  [ -f "$dir/node_modules/.package-lock.json" ] && cmp -s "$dir/package-lock.json" "$dir/.installed-lock" && return 0
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  (cd "$dir" && npm ci --silent --no-audit --no-fund) && cp "$dir/package-lock.json" "$dir/.installed-lock"
}

tool_env() {
  # A tool whose pins clash with the project's (sslyze needs an older cryptography) gets a venv of its own.
  # $1: venv folder name, $2: pinned requirement
  local dir="$ROOT/$1" stamp
  stamp="$ROOT/$1/.installed-${2//[^a-z0-9.]/}"
  [ -f "$stamp" ] && return 0
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q "$2"
  touch "$stamp"
}

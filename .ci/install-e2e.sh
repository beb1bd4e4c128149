#!/bin/sh
# CI, as root: install what the end-to-end tests (real VS Code via code-server + headless
# Chromium) need. Safe to re-run; fast when everything is already there.
# Needs the Debian apt mirror and the npm registry; nothing is fetched from GitHub.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "install-e2e.sh must run as root (apt-get)" >&2
  exit 3
fi

# The headers are for code-server's native modules (kerberos, keymapping, keytar, x11);
# ripgrep stands in for the rg that @vscode/ripgrep would download from GitHub.
pkgs="libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config ripgrep chromium"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node-gyp's toolchain: any make/g++/python3 on PATH will do.
command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || missing="$missing build-essential"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
fi

# Root project dependencies (playwright-core, mocha, tsx, vsce) come from the ordinary `npm ci`.
[ -d node_modules/playwright-core ] || npm ci

exec node test/e2e/install.mjs "$@"

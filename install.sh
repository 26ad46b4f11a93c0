#!/usr/bin/env bash
# Installs (or updates) nora on a Debian 12 machine and starts it on its embedded defaults:
# SQLite, the local job runner and the built-in DICOM receiver.
#
#   ./install.sh                       NORA_HOME = this repository (./nora, ./conf, ./data)
#   NORA_HOME=/srv/nora ./install.sh   the binary is copied to /srv/nora; conf/ and data/ live there
#
# Run it again to update: conf/, data/ and passwords are kept; the binary is rebuilt, the database
# migrated and the server restarted.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$REPO"
HOME_DIR="${NORA_HOME:-$REPO}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd)"
export NORA_HOME="$HOME_DIR"
BIN="$HOME_DIR/nora"

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install() {
  local missing=()
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. System packages: TLS roots for the npm registry; dcm2niix so conf/main.conf can switch the importer
#    from the built-in converter to the native one (import.converter: "/usr/bin/dcm2niix").
command -v dpkg-query >/dev/null || die "this script is for Debian (dpkg-query not found)"
apt_install ca-certificates dcm2niix

# 1b. The unprivileged account batch jobs run as (jobs.runAs in conf/main.conf; nora never runs job code as root).
if ! getent passwd nora-jobs >/dev/null; then
  say "useradd --system nora-jobs (the account batch jobs run as)"
  as_root useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nora-jobs
fi

# 2. Bun, from the npm registry (Debian's nodejs + npm first when there is no npm).
if ! command -v bun >/dev/null; then
  command -v npm >/dev/null || apt_install nodejs npm
  say "npm install -g bun"
  as_root npm install -g --silent bun >/dev/null
  hash -r
fi
bun --version >/dev/null 2>&1 || die "bun does not run after installation (bun --version failed)"
say "bun $(bun --version)"

# 3. Dependencies and the binary. Built next to the old one and renamed over it, so a running nora is
#    only stopped once the new binary exists.
say "bun install --frozen-lockfile"
bun install --frozen-lockfile --silent
say "bun run build"
bun run --silent build "$REPO/nora-build.tmp"

# 4. Stop the nora of this home (with the binary that started it), then put the new binary in place.
if [ -x "$BIN" ] && [ -f "$HOME_DIR/conf/main.conf" ]; then
  say "nora stop"
  "$BIN" stop --home "$HOME_DIR" | sed 's/^/    /' || say "could not run nora stop (continuing; nora start says if one still runs)"
fi
mv -f "$REPO/nora-build.tmp" "$REPO/nora"
if [ "$BIN" != "$REPO/nora" ]; then
  cp "$REPO/nora" "$BIN.tmp"
  mv -f "$BIN.tmp" "$BIN"
fi

# 5. conf/ from the examples (existing files are kept), data root, database, first admin; migrations.
say "nora init --home $HOME_DIR"
init_out="$("$BIN" init --home "$HOME_DIR")" || { printf '%s\n' "$init_out"; die "nora init failed"; }
printf '%s\n' "$init_out" | { grep -v -e 'with password:' -e '^(printed once' || true; } | sed 's/^/    /'
password="$(printf '%s\n' "$init_out" | sed -n 's/^created user "admin" with password: //p')"
say "nora --admin migrate"
"$BIN" --admin migrate --home "$HOME_DIR" | sed 's/^/    /'

login() {
  echo "  user:     admin"
  if [ -n "$password" ]; then
    echo "  password: $password   (shown once; change it with: $BIN --admin passwd admin)"
  else
    echo "  password: unchanged (users existed already; reset one with: $BIN --admin passwd admin)"
  fi
}

# 6. Start. It refuses, saying why, when the port is taken or a nora still runs here.
say "nora start"
if ! start_out="$("$BIN" start --home "$HOME_DIR" 2>&1)"; then
  printf '%s\n' "$start_out" | sed 's/^/    /'
  login
  die "nora start failed (see above); fix it and run: $BIN start"
fi
printf '%s\n' "$start_out" | sed 's/^/    /'
url="$(printf '%s\n' "$start_out" | sed -n 's/^nora is running at \([^ ]*\).*/\1/p')"

echo
echo "nora is installed in $HOME_DIR and running"
echo "  URL:      ${url:-see above}"
login
echo "  stop:     $BIN stop    status: $BIN status    configuration: $HOME_DIR/conf/main.conf"

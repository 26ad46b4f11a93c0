#!/usr/bin/env bash
# Provisions what the test suite needs on a Debian 12 machine and runs `bun test`.
#
#   test/run.sh                      the whole suite
#   test/run.sh test/unit            arguments go to bun test
#   NORA_TEST_SERVICES="" test/run.sh test/unit    start no service
#
# Services live in test/services/<name>.sh, each defining <name>_start and <name>_stop. A service that is
# already there (e.g. MariaDB answering on 127.0.0.1:3306) is used as it is; one this script starts is bound
# to loopback, kept in a temp dir and stopped by its pid when the script exits. Exit code: bun test's.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Services, in start order (stopped in reverse). Add a name here and a test/services/<name>.sh beside it.
SERVICES=(${NORA_TEST_SERVICES-mariadb slurm sge})
# Debian packages the suite uses: real test data, the conversion oracle, DICOM peers, databases, a browser.
PACKAGES=(python3-nibabel python3-pydicom python3-numpy python3-scipy dicom3tools dcm2niix dcmtk orthanc mariadb-server mariadb-client chromium slurmctld slurmd slurm-client munge slapd ldap-utils python3-aiosmtpd)

log() { printf '[run.sh] %s\n' "$*"; }
die() { printf '[run.sh] error: %s\n' "$*" >&2; exit 1; }

# step LABEL COMMAND...: runs COMMAND in this shell (so it can export variables) and prints how long it took.
step() {
  local label=$1 t0=$EPOCHREALTIME
  shift
  "$@"
  local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
  printf '[run.sh] %-34s %d.%01d s\n' "$label" $((ms / 1000)) $((ms % 1000 / 100))
}

# wait_until SECONDS COMMAND...: retries COMMAND every 0.2 s; returns 1 when it never succeeded.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# stop_pid PID NAME: SIGTERM, then SIGKILL after 30 s. Only ever called with pids this script started.
stop_pid() {
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "stopped $name (pid $pid)"; return 0; }
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  log "killed $name (pid $pid): it did not stop within 30 s"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

bun_tool() {
  if ! command -v bun >/dev/null; then
    command -v npm >/dev/null || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
    as_root npm install -g --silent bun >/dev/null
    hash -r
  fi
  bun --version >/dev/null || die "bun does not run (bun --version failed)"
}

# The unprivileged account batch jobs run as: the suite runs nora as root, and nora never runs job code as root.
job_account() {
  getent passwd nora-jobs >/dev/null && return 0
  as_root useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nora-jobs
}

STARTED=()
cleanup() {
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do "${STARTED[i]}_stop" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for s in "${SERVICES[@]}"; do
  [ -f "test/services/$s.sh" ] || die "unknown service \"$s\" (no test/services/$s.sh)"
  # shellcheck source=/dev/null
  source "test/services/$s.sh"
done

step "packages (${#PACKAGES[@]} checked)" packages
step "bun $(command -v bun >/dev/null && bun --version || echo '(npm)')" bun_tool
step "bun install --frozen-lockfile" bun install --frozen-lockfile --silent
step "bun run build" bun run --silent build
step "job account nora-jobs" job_account
for s in "${SERVICES[@]}"; do
  STARTED+=("$s")
  step "service $s" "${s}_start"
done

# bun test's own default is 5 s per test (bunfig.toml cannot change it): too short for tests that start servers or
# spawn ./nora on a busy machine. A --timeout in ARGS comes later and wins.
log "bun test --timeout 60000${*:+ $*}"
rc=0
bun test --timeout 60000 "$@" || rc=$?
exit "$rc"

# Son of Grid Engine for the suite (sourced by test/run.sh; uses its log, die, wait_until, stop_pid).
#
# Debian's gridengine 8.1.9 as a single-node cell (the package's cell "default" under /var/lib/gridengine; the
# packages are installed here, preseeded, when missing): sge_qmaster and sge_execd on free loopback ports
# (SGE_QMASTER_PORT/SGE_EXECD_PORT, exported for the tests), queues DPXproc and DPXimport (8 slots each), root
# allowed to submit, the scheduler running every second. Both daemons are stopped by pid.

SGE_STARTED_QMASTER="" SGE_STARTED_EXECD=""

_sge_free_port() { bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true)'; }
_sge_up() { qstat -f 2>/dev/null | grep -q "DPXproc@"; }
_sge_execd_pidfile() { ls /var/spool/gridengine/execd/*/execd.pid 2>/dev/null | head -1 | grep .; }
# The pid in FILE when it is a live SGE daemon. A pid file outlives its daemon, and its pid may since belong to any
# other process: only the process name tells.
_sge_daemon_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q '^sge_' "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

sge_install() {
  [ -x /usr/sbin/sge_qmaster ] && [ -x /usr/sbin/sge_execd ] && command -v qsub >/dev/null && return 0
  local H
  H=$(hostname)
  printf '%s\n' "gridengine-common shared/gridenginemaster string $H" "gridengine-common shared/gridenginecell string default" \
    "gridengine-common shared/gridengineconfig boolean true" "gridengine-client shared/gridenginemaster string $H" \
    "gridengine-client shared/gridenginecell string default" "gridengine-client shared/gridengineconfig boolean true" | as_root debconf-set-selections
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gridengine-master gridengine-exec gridengine-client >/dev/null ||
    die "apt-get install gridengine-master gridengine-exec gridengine-client failed"
}

# Exports the ports of the running sge_qmaster/sge_execd (from their environment) when both run and answer.
_sge_adopt() {
  local qpid epid qport eport
  qpid=$(_sge_daemon_pid /var/spool/gridengine/qmaster/qmaster.pid) || return 1
  epid=$(_sge_daemon_pid "$(_sge_execd_pidfile)") || return 1
  qport=$(tr '\0' '\n' <"/proc/$qpid/environ" 2>/dev/null | sed -n 's/^SGE_QMASTER_PORT=//p')
  eport=$(tr '\0' '\n' <"/proc/$epid/environ" 2>/dev/null | sed -n 's/^SGE_EXECD_PORT=//p')
  [ -n "$qport" ] && [ -n "$eport" ] || return 1
  SGE_QMASTER_PORT=$qport SGE_EXECD_PORT=$eport _sge_up || return 1
  export SGE_QMASTER_PORT=$qport SGE_EXECD_PORT=$eport NORA_TEST_SGE=1
  log "sge: using the cell already running (sge_qmaster pid $qpid port $qport, sge_execd pid $epid port $eport); not stopped at the end"
}

sge_start() {
  sge_install
  export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
  SGE_QMASTER_PORT=$(_sge_free_port)
  SGE_EXECD_PORT=$(_sge_free_port)
  export SGE_QMASTER_PORT SGE_EXECD_PORT
  local H cfg q
  H=$(hostname)
  # On this kind of sandbox a loopback client's address resolves to "localhost", not $H: alias them.
  printf '%s localhost\n' "$H" >"$SGE_ROOT/$SGE_CELL/common/host_aliases"
  local f
  # A cell left running by an earlier run (its test process killed before it could stop it) holds the system
  # spool: use it when it answers (it is not ours, so sge_stop leaves it alone) instead of failing.
  if _sge_adopt; then return 0; fi
  for f in /var/spool/gridengine/qmaster/qmaster.pid $(_sge_execd_pidfile); do
    if _sge_daemon_pid "$f" >/dev/null; then die "an SGE daemon runs already (pid $(cat "$f"), $f); stop it first"; fi
    rm -f "$f"
  done
  /usr/sbin/sge_qmaster || die "sge_qmaster did not start (see /var/spool/gridengine/qmaster/messages)"
  wait_until 30 qconf -sh || die "sge_qmaster does not answer on port $SGE_QMASTER_PORT (see /var/spool/gridengine/qmaster/messages)"
  wait_until 10 test -s /var/spool/gridengine/qmaster/qmaster.pid || true
  SGE_STARTED_QMASTER=$(cat /var/spool/gridengine/qmaster/qmaster.pid)
  cfg=$(mktemp -d /tmp/nora-sge.XXXXXX)
  (
    cd "$cfg" || exit 1
    qconf -as "$H" >/dev/null
    qconf -shgrp @allhosts >/dev/null 2>&1 || { printf 'group_name @allhosts\nhostlist %s\n' "$H" >hg && qconf -Ahgrp hg >/dev/null; }
    # root may submit (min_uid/min_gid 0); the file must be named after the configuration it replaces.
    qconf -sconf global >global && sed -i 's/^min_uid .*/min_uid 0/; s/^min_gid .*/min_gid 0/' global && qconf -Mconf global >/dev/null
    qconf -ssconf >sconf && sed -i 's/^schedule_interval .*/schedule_interval 0:0:1/' sconf && qconf -Msconf sconf >/dev/null
    qconf -sq >template
    for q in DPXproc DPXimport; do
      qconf -sq "$q" >/dev/null 2>&1 && continue
      sed -e "s/^qname .*/qname $q/" -e 's/^hostlist .*/hostlist @allhosts/' -e 's/^slots .*/slots 8/' \
        -e 's/^load_thresholds .*/load_thresholds NONE/' -e 's/^pe_list .*/pe_list NONE/' template >"$q"
      qconf -Aq "$q" >/dev/null
    done
  ) || die "configuring the SGE cell failed"
  rm -rf "$cfg"
  /usr/sbin/sge_execd || die "sge_execd did not start"
  wait_until 10 _sge_execd_pidfile || true
  SGE_STARTED_EXECD=$(cat "$(_sge_execd_pidfile)" 2>/dev/null || true)
  qmod -cq '*' >/dev/null 2>&1 || true
  wait_until 30 _sge_up || die "SGE queues DPXproc/DPXimport did not come up (qstat -f)"
  export NORA_TEST_SGE=1
  log "sge: sge_qmaster pid $SGE_STARTED_QMASTER port $SGE_QMASTER_PORT, sge_execd pid $SGE_STARTED_EXECD port $SGE_EXECD_PORT"
}

sge_stop() {
  if [ -n "$SGE_STARTED_EXECD" ]; then stop_pid "$SGE_STARTED_EXECD" sge_execd; fi
  if [ -n "$SGE_STARTED_QMASTER" ]; then stop_pid "$SGE_STARTED_QMASTER" sge_qmaster; fi
  SGE_STARTED_QMASTER="" SGE_STARTED_EXECD=""
}

# Slurm for the suite (sourced by test/run.sh; uses its log, die, wait_until, stop_pid).
#
# A private one-node cluster in a temp dir: its own munged (own key and socket), slurmctld and slurmd on free
# loopback ports, partitions DPXproc (default) and DPXimport, plus DPXshort (MaxTime=1 minute, for the time-limit
# fault test). Everything is stopped by pid. Tests get SLURM_CONF (the sbatch/squeue/scontrol of this cluster)
# and NORA_TEST_SLURM_DIR (pid files and logs; test/services/slurm.ts stops and starts slurmctld from there).
# Can also be used alone:  source test/services/slurm.sh && slurm_start   (prints SLURM_CONF).

SLURM_DIR=""

_slurm_free_port() { bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true)'; }
_slurm_pid() { [ -f "$SLURM_DIR/$1.pid" ] && cat "$SLURM_DIR/$1.pid"; }
_slurm_up() { sinfo -h -o '%P %a %t' 2>/dev/null | grep -q 'DPXproc.*up.*idle'; }

slurm_start() {
  command -v slurmctld >/dev/null || PATH="$PATH:/usr/sbin"
  command -v slurmctld >/dev/null || die "slurmctld not found (apt-get install slurmctld slurmd slurm-client munge)"
  command -v munged >/dev/null || die "munged not found (apt-get install munge)"
  SLURM_DIR=$(mktemp -d /tmp/nora-slurm.XXXXXX)
  local D=$SLURM_DIR H
  H=$(hostname -s)
  mkdir -p "$D/state" "$D/spool" "$D/log" "$D/munge"
  chmod 700 "$D/munge"
  # Jobs run as nora-jobs (sbatch --uid): slurmd's spool, where it puts their scripts, must be passable for them.
  chmod 755 "$D" "$D/spool"
  # A private munge: its own key and socket, so the system's munge (if any) is left alone.
  dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$D/munge/munge.key"
  munged --force --key-file="$D/munge/munge.key" --socket="$D/munge/munge.sock" --pid-file="$D/munge.pid" \
    --log-file="$D/log/munged.log" --seed-file="$D/munge/seed" || die "munged did not start (see $D/log/munged.log)"
  local ctld slurmd
  ctld=$(_slurm_free_port)
  slurmd=$(_slurm_free_port)
  cat >"$D/slurm.conf" <<EOF
ClusterName=nora
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld
SlurmdPort=$slurmd
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=300
KillWait=2
OverTimeLimit=0
SchedulerParameters=sched_interval=1
MessageTimeout=5
SlurmdTimeout=30
SlurmdParameters=config_overrides
NodeName=$H NodeAddr=127.0.0.1 CPUs=16 RealMemory=64000 State=UNKNOWN
PartitionName=DPXproc Nodes=$H Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
PartitionName=DPXimport Nodes=$H MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
PartitionName=DPXshort Nodes=$H MaxTime=1 State=UP OverSubscribe=FORCE:4
EOF
  export SLURM_CONF="$D/slurm.conf" NORA_TEST_SLURM_DIR="$D"
  slurmctld -f "$SLURM_CONF" || die "slurmctld did not start (see $D/log/slurmctld.log)"
  slurmd -f "$SLURM_CONF" || die "slurmd did not start (see $D/log/slurmd.log)"
  if ! wait_until 30 _slurm_up; then
    tail -20 "$D/log/slurmctld.log" "$D/log/slurmd.log" >&2
    die "slurm did not come up within 30 s (SLURM_CONF=$SLURM_CONF)"
  fi
  log "slurm: slurmctld pid $(_slurm_pid slurmctld) port $ctld, slurmd pid $(_slurm_pid slurmd); SLURM_CONF=$SLURM_CONF"
}

slurm_stop() {
  [ -n "$SLURM_DIR" ] || return 0
  local p
  for p in slurmd slurmctld munge; do
    local pid
    pid=$(_slurm_pid $p) || true
    if [ -n "$pid" ]; then stop_pid "$pid" "$p"; fi
  done
  rm -rf "$SLURM_DIR"
  SLURM_DIR=""
}

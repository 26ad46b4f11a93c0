#!/bin/sh
# slurm container: creates the cluster's munge key once (in the shared munge-key volume, where the nora
# container picks it up), starts munged and slurmctld, then slurmd in the foreground.
set -eu
KEY=/munge-key/munge.key
if [ ! -s "$KEY" ]; then
  mungekey -c -k "$KEY.tmp" && mv "$KEY.tmp" "$KEY"
fi
install -o munge -g munge -m 0400 "$KEY" /etc/munge/munge.key
mkdir -p /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown munge:munge /run/munge
su -s /bin/sh munge -c /usr/sbin/munged
/usr/sbin/slurmctld -f /etc/slurm/slurm.conf
exec /usr/sbin/slurmd -D -f /etc/slurm/slurm.conf

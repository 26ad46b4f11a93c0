#!/bin/sh
# nora container: munge with the key the slurm service created, then `nora init` (conf examples, database
# migrations, first admin: its password appears once in `docker compose logs nora`), then nora in the
# foreground as pid 1.
set -eu
KEY=/munge-key/munge.key
i=0
while [ ! -s "$KEY" ]; do
  i=$((i + 1))
  [ "$i" -le 60 ] || { echo "nora-entrypoint: no munge key in $KEY after 60 s (is the slurm service up?)" >&2; exit 1; }
  sleep 1
done
install -o munge -g munge -m 0400 "$KEY" /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
su -s /bin/sh munge -c /usr/sbin/munged
nora init --home "$NORA_HOME"
exec nora "$@" --home "$NORA_HOME"

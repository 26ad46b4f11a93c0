# MariaDB for the suite (sourced by test/run.sh; uses its log, die, wait_until, stop_pid).
#
# If a MariaDB answers on $NORA_TEST_MYSQL_HOST:$NORA_TEST_MYSQL_PORT (default 127.0.0.1:3306) as root with
# the given (default empty) password, it is used as it is and left alone. Otherwise a private instance is
# started in a temp dir on 127.0.0.1 (port 3306, or a free one when 3306 is taken) and stopped by its pid.
# Tests get NORA_TEST_MYSQL_HOST/PORT/USER/PASSWORD; each makes its own database (test/services/mariadb.ts).

MARIADB_PID=""
MARIADB_DIR=""

mariadb_answers() {
  MYSQL_PWD="$NORA_TEST_MYSQL_PASSWORD" mysql --connect-timeout=2 -h"$NORA_TEST_MYSQL_HOST" -P"$NORA_TEST_MYSQL_PORT" \
    -u"$NORA_TEST_MYSQL_USER" -Nse 'select 1' >/dev/null 2>&1
}

mariadb_start() {
  export NORA_TEST_MYSQL_HOST="${NORA_TEST_MYSQL_HOST:-127.0.0.1}"
  export NORA_TEST_MYSQL_PORT="${NORA_TEST_MYSQL_PORT:-3306}"
  export NORA_TEST_MYSQL_USER="${NORA_TEST_MYSQL_USER:-root}"
  export NORA_TEST_MYSQL_PASSWORD="${NORA_TEST_MYSQL_PASSWORD:-}"
  if mariadb_answers; then
    log "mariadb: using the one on $NORA_TEST_MYSQL_HOST:$NORA_TEST_MYSQL_PORT"
    return 0
  fi
  command -v mariadbd >/dev/null || PATH="$PATH:/usr/sbin"
  command -v mariadbd >/dev/null || die "mariadbd not found (apt-get install mariadb-server)"

  local port=$NORA_TEST_MYSQL_PORT
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    port=$(bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true)')
    log "mariadb: port $NORA_TEST_MYSQL_PORT is taken by a server that refuses $NORA_TEST_MYSQL_USER; a private one on port $port"
  fi
  MARIADB_DIR=$(mktemp -d /tmp/nora-mariadb.XXXXXX)
  local user_args=()
  if [ "$(id -u)" -eq 0 ]; then
    chown mysql:mysql "$MARIADB_DIR"
    user_args=(--user=mysql)
  fi
  # auth "normal": root@localhost/127.0.0.1 with an empty password (the default would be unix_socket only).
  mariadb-install-db --no-defaults --datadir="$MARIADB_DIR/data" "${user_args[@]}" --auth-root-authentication-method=normal \
    --skip-test-db >"$MARIADB_DIR/install.log" 2>&1 || { tail -20 "$MARIADB_DIR/install.log" >&2; die "mariadb-install-db failed"; }
  mariadbd --no-defaults --datadir="$MARIADB_DIR/data" --port="$port" --socket="$MARIADB_DIR/sock" \
    --pid-file="$MARIADB_DIR/mariadbd.pid" --bind-address=127.0.0.1 "${user_args[@]}" \
    >"$MARIADB_DIR/mariadbd.log" 2>&1 &
  MARIADB_PID=$!
  export NORA_TEST_MYSQL_HOST=127.0.0.1 NORA_TEST_MYSQL_PORT=$port NORA_TEST_MYSQL_USER=root NORA_TEST_MYSQL_PASSWORD=
  if ! wait_until 60 mariadb_answers; then
    tail -20 "$MARIADB_DIR/mariadbd.log" >&2
    die "the private MariaDB (pid $MARIADB_PID) did not answer on 127.0.0.1:$port within 60 s"
  fi
  log "mariadb: started pid $MARIADB_PID on 127.0.0.1:$port (datadir $MARIADB_DIR/data)"
}

mariadb_stop() {
  if [ -n "$MARIADB_PID" ]; then stop_pid "$MARIADB_PID" mariadb; fi
  if [ -n "$MARIADB_DIR" ]; then rm -rf "$MARIADB_DIR"; fi
  MARIADB_PID="" MARIADB_DIR=""
}

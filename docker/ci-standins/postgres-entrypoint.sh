#!/bin/bash
# The CI stand-in's entrypoint: the official postgres image's contract as far as docker-compose.yml uses it.
# On an empty data folder: initdb with POSTGRES_USER / POSTGRES_PASSWORD (scram-sha-256 over TCP), then the
# /docker-entrypoint-initdb.d/*.sh scripts (executed if executable, else sourced) and *.sql files against a
# server that listens on its socket only, once. Then the server in the foreground, listening on all addresses.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then # as the official image: fix the volume's owner, then drop to postgres
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?the stand-in, as the official image, needs POSTGRES_PASSWORD}"
  export POSTGRES_USER=${POSTGRES_USER:-postgres} PGHOST=/var/run/postgresql
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\nunix_socket_directories = '/var/run/postgresql'\n" >>"$PGDATA/postgresql.conf"
  pg_ctl --pgdata="$PGDATA" --wait --silent --options="-c listen_addresses=''" start
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -f "$f" ;;
    esac
  done
  pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
  echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"

#!/bin/sh
# Runs once, when the postgres container initialises an empty volume: per service a login role (password from
# <SERVICE>_DB_PASSWORD) and a database it owns that no other role may connect to, so a compromised service
# reaches its own data only. The superuser (POSTGRES_PASSWORD) stays inside this container.
set -eu
for db in customers inventory sales reviews; do
  password=$(printenv "$(echo "$db" | tr a-z A-Z)_DB_PASSWORD")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v role="$db" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done

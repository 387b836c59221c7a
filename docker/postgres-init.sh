#!/bin/sh
# Runs once, when the postgres container initialises an empty volume: one database per service.
set -eu
for db in customers inventory sales reviews; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE \"$db\""
done

#!/bin/sh
# docker-compose's temporal-schema job (temporalio/admin-tools): sets up or upgrades Temporal's schema in
# Postgres. Safe to run on every `docker compose up`: setup-schema leaves a newer version alone and
# update-schema applies only what is missing. The databases come from deploy/postgres/init-databases.sql.
set -eu

: "${SQL_HOST:?}" "${SQL_USER:?}"
port="${SQL_PORT:-5432}"
schema_dir=/etc/temporal/schema/postgresql/v12

until nc -z "$SQL_HOST" "$port"; do
  echo "waiting for Postgres at $SQL_HOST:$port"
  sleep 1
done

# setup DATABASE SCHEMA_FOLDER
setup() {
  temporal-sql-tool --plugin postgres12 --ep "$SQL_HOST" -p "$port" -u "$SQL_USER" --db "$1" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$SQL_HOST" -p "$port" -u "$SQL_USER" --db "$1" \
    update-schema -d "$schema_dir/$2/versioned"
}
setup temporal temporal
setup temporal_visibility visibility
echo "Temporal schema is up to date"

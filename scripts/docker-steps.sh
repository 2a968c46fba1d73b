#!/usr/bin/env bash
# Runs the Dockerfile's steps without Docker (CI has no Docker engine), then starts the built
# image's files the way the container would and checks them against a real PostgreSQL.
#
#   bash scripts/docker-steps.sh
#   DOCKER_STEPS_DATABASE_URL=postgres://user:pw@host:5432/postgres bash scripts/docker-steps.sh
#
# 1. Build context: the repository's files (git ls-files: tracked, plus untracked ones that are
#    not git-ignored) minus what .dockerignore excludes, copied to a temp dir.
# 2. The Dockerfile is translated, stage by stage, into shell steps and run: FROM (an earlier
#    stage's files or an empty one), WORKDIR, ENV, COPY (from the context or --from a stage) and
#    RUN. RUN is limited to npm ci / npm run <script>; the base stage's global npm upgrade is
#    replaced by a version check. Anything else stops the script, so this file and the
#    Dockerfile cannot drift apart silently.
# 3. The final stage's WORKDIR is the runtime dir. The app is started with the Dockerfile's CMD
#    and ENV, a clean environment (like a container), a generated 48-character JWT_SECRET and a
#    fresh database docker_steps_<random> created on DOCKER_STEPS_DATABASE_URL (default
#    postgres://postgres@127.0.0.1:5432/postgres), dropped at the end.
# 4. Checks: /ready (and the Dockerfile's HEALTHCHECK command), /health, GET /api/events,
#    the web client at /, Socket.IO on WS_PORT, the compose seed command, SIGTERM -> exit 0; and
#    production start-up refusing a missing or short JWT_SECRET.
# What cannot be mirrored without Docker: USER (the files are only read, never written, by the
# app with DATABASE_URL and JWT_SECRET set) and the base image itself (CI's Node 20 stands in).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
ADMIN_URL=${DOCKER_STEPS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/docker-steps.XXXXXX")
SERVER_PID=""
DB_NAME=""
RUNTIME=""

say() { echo "== docker-steps: $*"; }
die() {
  echo "docker-steps: FAILED: $*" >&2
  exit 1
}

pg_admin() { RUNTIME_DIR="$RUNTIME" ADMIN_URL="$ADMIN_URL" node "$WORK/pg-admin.cjs" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if ((rc != 0)) && [[ -s $WORK/server.log ]]; then
    echo "---- last lines of the server log ----" >&2
    tail -n 40 "$WORK/server.log" >&2
    echo "--------------------------------------" >&2
  fi
  if [[ -n $DB_NAME && -n $RUNTIME ]]; then
    pg_admin drop "$DB_NAME" && say "dropped database $DB_NAME"
  fi
  rm -rf "$WORK"
  if ((rc == 0)); then say "all steps passed"; else echo "docker-steps: FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "node $(node --version), npm $(npm --version 2>/dev/null), work dir $WORK"

# --------------------------------------------------------------------------------------------
# Dockerfile -> build context + shell plan. Node builtins only: runs before any npm install.
cat >"$WORK/translate.mjs" <<'EOF'
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [repo, work] = process.argv.slice(2);
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const fail = (msg) => {
  console.error(`docker-steps: ${msg}`);
  process.exit(1);
};

// ---- build context: git's file list minus .dockerignore (Docker's matching, pragmatically).
const { dockerignoreMatcher } = await import(pathToFileURL(path.join(repo, 'scripts/dockerignore.mjs')).href);
const dockerignore = path.join(repo, '.dockerignore');
const ignored = dockerignoreMatcher(fs.existsSync(dockerignore) ? fs.readFileSync(dockerignore, 'utf8') : '');
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const context = path.join(work, 'context');
let copied = 0;
for (const rel of new Set(files)) {
  const from = path.join(repo, rel);
  if (ignored(rel) || !fs.existsSync(from) || !fs.statSync(from).isFile()) continue;
  fs.mkdirSync(path.dirname(path.join(context, rel)), { recursive: true });
  fs.copyFileSync(from, path.join(context, rel));
  copied += 1;
}
console.log(`== docker-steps: build context: ${copied} files (git ls-files minus .dockerignore)`);

// ---- Dockerfile: instructions with continuations joined, comments dropped.
const instructions = [];
let current = '';
let lineNo = 0;
fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8').split(/\r?\n/).forEach((raw, i) => {
  if (/^\s*#/.test(raw) || (!current && !raw.trim())) return;
  if (!current) lineNo = i + 1;
  const t = raw.replace(/\s+$/, '');
  if (t.endsWith('\\')) current += `${t.slice(0, -1)} `;
  else {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(current + t);
    instructions.push({ kw: m[1].toUpperCase(), args: m[2].trim(), line: lineNo });
    current = '';
  }
});

const flagsOf = (args) => {
  const flags = {};
  let rest = args;
  for (let m; (m = /^--([\w-]+)(?:=(\S+))?\s+/.exec(rest)); rest = rest.slice(m[0].length)) flags[m[1]] = m[2] ?? true;
  return { flags, rest };
};
const words = (rest) => (rest.trim().startsWith('[') ? JSON.parse(rest) : rest.trim().split(/\s+/));
const globalArgs = {};
const stages = new Map();
let stage;
const plan = ['set -euo pipefail'];
const emit = (line) => plan.push(line);
const subst = (s) => s.replace(/\$\{?(\w+)\}?/g, (m, n) => stage?.args[n] ?? stage?.env[n] ?? globalArgs[n] ?? m);
const hostPath = (st, p) => path.join(work, 'stages', st.name, path.posix.resolve(st.workdir, p));

for (const ins of instructions) {
  const where = `Dockerfile:${ins.line} ${ins.kw}`;
  if (ins.kw === 'ARG') {
    const [, name, value] = /^(\w+)(?:=(.*))?$/.exec(ins.args) ?? fail(`${where}: cannot read`);
    const v = value?.replace(/^["']|["']$/g, '');
    if (!stage) globalArgs[name] = v;
    else stage.args[name] = v ?? globalArgs[name];
    continue;
  }
  if (ins.kw === 'FROM') {
    const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args) ?? fail(`${where}: cannot read`);
    const image = m[1].replace(/\$\{?(\w+)\}?/g, (x, n) => globalArgs[n] ?? x);
    const parent = stages.get(image.toLowerCase());
    stage = {
      name: (m[2] ?? `stage${stages.size}`).toLowerCase(),
      image,
      workdir: parent?.workdir ?? '/',
      env: { ...(parent?.env ?? {}) },
      args: {},
      cmd: parent?.cmd,
      healthcheck: parent?.healthcheck,
    };
    stages.set(stage.name, stage);
    const dir = path.join(work, 'stages', stage.name);
    emit(`echo ${q(`== docker-steps: [${stage.name}] FROM ${image}`)}`);
    emit(`mkdir -p ${q(dir)}`);
    if (parent) emit(`cp -a ${q(path.join(work, 'stages', parent.name))}/. ${q(dir)}/`);
    continue;
  }
  if (!stage) fail(`${where}: before the first FROM`);
  const label = `[${stage.name}] ${ins.kw} ${ins.args}`.slice(0, 160);
  switch (ins.kw) {
    case 'WORKDIR':
      stage.workdir = path.posix.resolve(stage.workdir, subst(ins.args));
      emit(`mkdir -p ${q(hostPath(stage, '.'))}`);
      break;
    case 'ENV': {
      const body = ins.args;
      const pairs = /^\w+=/.test(body)
        ? [...body.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)].map((m) => [m[1], m[2].replace(/^["']|["']$/g, '')])
        : [[body.split(/\s+/)[0], body.split(/\s+/).slice(1).join(' ')]];
      for (const [k, v] of pairs) stage.env[k] = subst(v);
      break;
    }
    case 'COPY': {
      const { flags, rest } = flagsOf(ins.args);
      const parts = words(rest).map(subst);
      const dest = parts.pop();
      const from = flags.from ? stages.get(String(flags.from).toLowerCase()) : undefined;
      if (flags.from && !from) fail(`${where}: --from=${flags.from} is not an earlier stage`);
      emit(`echo ${q(`== docker-steps: ${label}`)}`);
      const target = hostPath(stage, dest);
      const intoDir = dest.endsWith('/') || parts.length > 1;
      for (const src of parts) {
        const source = from ? path.join(work, 'stages', from.name, path.posix.resolve(from.workdir, src)) : path.join(context, src);
        emit(`[[ -e ${q(source)} ]] || { echo ${q(`docker-steps: ${where}: ${src} does not exist (Docker would fail here)`)} >&2; exit 1; }`);
        emit(
          `if [[ -d ${q(source)} ]]; then mkdir -p ${q(target)} && cp -a ${q(source)}/. ${q(target)}/; ` +
            (intoDir
              ? `else mkdir -p ${q(target)} && cp -a ${q(source)} ${q(target)}/; fi`
              : `else mkdir -p "$(dirname ${q(target)})" && cp -a ${q(source)} ${q(target)}; fi`),
        );
      }
      break;
    }
    case 'RUN': {
      const { rest } = flagsOf(ins.args);
      const command = subst(rest);
      const steps = command.split('&&').map((s) => s.trim());
      const envs = Object.entries(stage.env).map(([k, v]) => q(`${k}=${v}`)).join(' ');
      emit(`echo ${q(`== docker-steps: [${stage.name}] RUN ${command}`)}`);
      for (const step of steps) {
        const npmSelf = /^npm (?:install|i) (?:--global|-g)\b.*\bnpm@(\S+?)["']?$/.exec(step);
        if (npmSelf) {
          // Not run here (it would replace CI's npm): only reported when the versions differ.
          emit(`[[ "$(npm --version 2>/dev/null)" == ${q(npmSelf[1])} ]] || echo ${q(`== docker-steps: note: the image uses npm ${npmSelf[1]}, this machine npm `)}"$(npm --version 2>/dev/null)"`);
        } else if (/^npm cache clean\b/.test(step)) {
          emit(`echo ${q(`== docker-steps: (skipped here: ${step})`)}`);
        } else if (/^npm (ci|run [\w:.-]+)(\s|$)/.test(step)) {
          emit(`(cd ${q(hostPath(stage, '.'))} && env ${envs} ${step})`);
        } else {
          fail(`${where}: "${step}" is not a step this script knows how to mirror; teach scripts/docker-steps.sh (allowed: npm ci, npm run <script>)`);
        }
      }
      break;
    }
    case 'CMD':
      stage.cmd = words(ins.args);
      break;
    case 'HEALTHCHECK': {
      const { rest } = flagsOf(ins.args);
      const m = /^CMD\s+(.*)$/s.exec(rest);
      stage.healthcheck = m ? (m[1].trim().startsWith('[') ? JSON.parse(m[1]) : ['/bin/sh', '-c', m[1]]) : undefined;
      break;
    }
    case 'USER':
    case 'EXPOSE':
    case 'LABEL':
    case 'STOPSIGNAL':
      break; // no effect on the files; USER is checked by scripts/validate-compose.mjs
    default:
      fail(`${where}: not mirrored by scripts/docker-steps.sh (ENTRYPOINT/ADD/SHELL/VOLUME/ONBUILD need teaching it)`);
  }
}

const final = stage ?? fail('Dockerfile has no FROM');
if (!final.cmd) fail('the final stage has no CMD');
if (!final.healthcheck) fail('the final stage has no HEALTHCHECK CMD');
const lines = (arr) => `${arr.join('\n')}\n`;
if ([...final.cmd, ...final.healthcheck].some((a) => a.includes('\n'))) fail('CMD/HEALTHCHECK arguments with newlines are not supported');
fs.writeFileSync(path.join(work, 'plan.sh'), `${plan.join('\n')}\n`);
fs.writeFileSync(path.join(work, 'runtime-dir'), hostPath(final, '.'));
fs.writeFileSync(path.join(work, 'runtime.env'), lines(Object.entries(final.env).map(([k, v]) => `${k}=${v}`)));
fs.writeFileSync(path.join(work, 'cmd'), lines(final.cmd));
fs.writeFileSync(path.join(work, 'healthcheck'), lines(final.healthcheck));
console.log(`== docker-steps: Dockerfile: stages ${[...stages.keys()].join(' -> ')}; runs ${final.cmd.join(' ')} in ${final.workdir}`);
EOF

# Creates/drops the throwaway database, with pg from the runtime stage's node_modules.
cat >"$WORK/pg-admin.cjs" <<'EOF'
const path = require('node:path');
const { Client } = require(path.join(process.env.RUNTIME_DIR, 'node_modules', 'pg'));
const [cmd, name] = process.argv.slice(2);
const admin = process.env.ADMIN_URL;
const redacted = admin.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
if (!/^docker_steps_[a-z0-9]+$/.test(name)) throw new Error(`refusing to touch database "${name}"`);
(async () => {
  const client = new Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    if (cmd === 'create') {
      await client.query(`CREATE DATABASE "${name}"`);
      const url = new URL(admin);
      url.pathname = `/${name}`;
      process.stdout.write(url.toString());
    } else {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => client.query(`DROP DATABASE IF EXISTS "${name}"`));
    }
  } finally {
    await client.end();
  }
})().catch((error) => {
  console.error(`docker-steps: ${cmd} database ${name} on ${redacted} failed: ${error.message}`);
  process.exit(1);
});
EOF

# GET url -> prints the status; body to $2, content type to $2.type. Status 0: no answer.
cat >"$WORK/get.mjs" <<'EOF'
import fs from 'node:fs';
const [url, out] = process.argv.slice(2);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  fs.writeFileSync(out, Buffer.from(await res.arrayBuffer()));
  fs.writeFileSync(`${out}.type`, res.headers.get('content-type') ?? '');
  console.log(res.status);
} catch {
  fs.writeFileSync(out, '');
  fs.writeFileSync(`${out}.type`, '');
  console.log(0);
}
EOF
get() { node "$WORK/get.mjs" "$1" "$WORK/body"; }
# Asserts a JS expression over the last body, parsed as JSON (`b`).
json_check() {
  node -e '
    const fs = require("fs");
    const b = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    if (!eval(process.argv[2])) { console.error("docker-steps: FAILED: " + process.argv[3] + "\n  got: " + JSON.stringify(b).slice(0, 400)); process.exit(1); }
  ' "$WORK/body" "$1" "$2"
}

# --------------------------------------------------------------------------------------------
say "translating the Dockerfile"
node "$WORK/translate.mjs" "$REPO" "$WORK"
say "running the Dockerfile's steps"
bash "$WORK/plan.sh"
RUNTIME=$(cat "$WORK/runtime-dir")
mapfile -t CMD <"$WORK/cmd"
mapfile -t HEALTHCHECK <"$WORK/healthcheck"
mapfile -t IMAGE_ENV <"$WORK/runtime.env"
say "runtime dir: $(cd "$RUNTIME" && echo *) ($(du -sh "$RUNTIME" | cut -f1); node_modules $(du -sh "$RUNTIME/node_modules" | cut -f1))"
for must in dist/main.js dist/seed/run-seed.js web/dist/index.html migrations node_modules/express; do
  [[ -e $RUNTIME/$must ]] || die "the runtime image would lack $must"
done
for mustnot in src node_modules/typescript node_modules/esbuild node_modules/jest; do
  [[ ! -e $RUNTIME/$mustnot ]] || die "the runtime image should not contain $mustnot (build-only)"
done

# --------------------------------------------------------------------------------------------
db_name="docker_steps_$(node -e 'process.stdout.write(require("crypto").randomBytes(6).toString("hex"))')"
say "creating database $db_name on $(echo "$ADMIN_URL" | sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#')"
DATABASE_URL=$(pg_admin create "$db_name")
DB_NAME=$db_name # from here on, cleanup drops it
JWT_SECRET=$(node -e 'process.stdout.write(require("crypto").randomBytes(36).toString("base64url"))')
((${#JWT_SECRET} == 48)) || die "generated JWT_SECRET is ${#JWT_SECRET} characters, expected 48"
read -r PORT WS_PORT < <(node -e '
  const net = require("net");
  const a = net.createServer().listen(0, "127.0.0.1", () => {
    const b = net.createServer().listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port); a.close(); b.close();
    });
  });')
BASE=http://127.0.0.1:$PORT
# Like `docker run -e ...`: the image's ENV first, then the container's variables; nothing else
# from this shell leaks in (env -i).
APP_ENV=("PATH=$PATH" "HOME=${HOME:-/tmp}" "${IMAGE_ENV[@]}" "DATABASE_URL=$DATABASE_URL" "JWT_SECRET=$JWT_SECRET"
  "PORT=$PORT" "WS_PORT=$WS_PORT" "HOST=127.0.0.1" "LOG_LEVEL=info")
grep -qx 'NODE_ENV=production' "$WORK/runtime.env" || die "the image does not set NODE_ENV=production"

say "starting: ${CMD[*]} (NODE_ENV=production, PORT=$PORT, WS_PORT=$WS_PORT)"
(cd "$RUNTIME" && exec env -i "${APP_ENV[@]}" "${CMD[@]}") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

say "waiting for GET /ready"
ready=""
for _ in $(seq 120); do
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start-up"
  if [[ $(get "$BASE/ready") == 200 ]]; then
    ready=1
    break
  fi
  sleep 0.5
done
[[ -n $ready ]] || die "GET /ready did not answer 200 within 60 s"
say "GET /ready -> 200"

(cd "$RUNTIME" && env -i "${APP_ENV[@]}" "${HEALTHCHECK[@]}") || die "the Dockerfile's HEALTHCHECK command failed against the running server"
say "Dockerfile HEALTHCHECK command -> exit 0"

[[ $(get "$BASE/health") == 200 ]] || die "GET /health did not answer 200"
json_check 'b.status === "ok"' 'GET /health should say {"status":"ok"}'
say "GET /health -> 200"

[[ $(get "$BASE/api/events") == 200 ]] || die "GET /api/events did not answer 200"
json_check 'Array.isArray(b.data) && b.total === 0 && b.page === 1 && typeof b.limit === "number"' \
  'GET /api/events should be an empty list {data:[],page:1,limit,total:0} on a fresh database'
say "GET /api/events -> 200, empty list (migrations applied)"

[[ $(get "$BASE/") == 200 ]] || die "GET / did not answer 200"
grep -qi 'text/html' "$WORK/body.type" || die "GET / should serve HTML, got $(cat "$WORK/body.type")"
grep -qi '<html' "$WORK/body" || die "GET / did not return an HTML page"
grep -q 'app.js' "$WORK/body" || die "the page does not load app.js"
[[ $(get "$BASE/app.js") == 200 ]] || die "GET /app.js (web/dist bundle) did not answer 200"
say "GET / -> 200 text/html, GET /app.js -> 200"

[[ $(get "$BASE/api/realtime") == 200 ]] || die "GET /api/realtime did not answer 200"
json_check "b.wsPort === $WS_PORT" "GET /api/realtime should announce wsPort $WS_PORT"
[[ $(get "http://127.0.0.1:$WS_PORT/socket.io/?EIO=4&transport=polling") == 200 ]] || die "no Socket.IO handshake on WS_PORT"
grep -q '^0{' "$WORK/body" || die "unexpected Socket.IO handshake: $(head -c 200 "$WORK/body")"
say "Socket.IO handshake on WS_PORT $WS_PORT -> 200"

# The compose `seed` service: same image, same database, while the API runs.
say "seeding: node dist/seed/run-seed.js (the compose seed service's command)"
(cd "$RUNTIME" && env -i "${APP_ENV[@]}" node dist/seed/run-seed.js) >"$WORK/seed.log" 2>&1 || {
  cat "$WORK/seed.log" >&2
  die "the seed command failed"
}
sed 's/^/   | /' "$WORK/seed.log" | head -n 6
[[ $(get "$BASE/api/events") == 200 ]] || die "GET /api/events did not answer 200 after seeding"
json_check 'b.total > 0 && b.data.length > 0 && typeof b.data[0].id === "string"' 'GET /api/events should list the seeded events'
say "GET /api/events after seeding -> $(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).total)' "$WORK/body") events"

say "stopping with SIGTERM"
kill -TERM "$SERVER_PID"
for _ in $(seq 60); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.5
done
kill -0 "$SERVER_PID" 2>/dev/null && die "the server was still running 30 s after SIGTERM"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
((rc == 0)) || die "the server exited with $rc after SIGTERM, expected 0"
grep -q 'shutdown complete' "$WORK/server.log" || die "no 'shutdown complete' in the server log"
say "SIGTERM -> graceful shutdown, exit 0"

# Production start-up must refuse a missing or too short JWT_SECRET, naming it.
refuses() { # $1: description; rest: extra env
  local what=$1 rc=0
  shift
  (cd "$RUNTIME" && timeout 30 env -i "PATH=$PATH" "HOME=${HOME:-/tmp}" "${IMAGE_ENV[@]}" "DATABASE_URL=$DATABASE_URL" \
    PORT=0 WS_PORT=0 HOST=127.0.0.1 "$@" "${CMD[@]}") >"$WORK/refuse.log" 2>&1 || rc=$?
  ((rc != 124)) || die "production start-up with $what did not stop within 30 s (it should refuse at once)"
  ((rc != 0)) || die "production start-up with $what exited 0; it must refuse"
  grep -q 'JWT_SECRET' "$WORK/refuse.log" || {
    cat "$WORK/refuse.log" >&2
    die "the refusal with $what does not name JWT_SECRET"
  }
  say "NODE_ENV=production with $what -> exit $rc: $(grep -m1 'JWT_SECRET' "$WORK/refuse.log" | sed 's/^ *//')"
}
refuses "no JWT_SECRET"
refuses "a 31-character JWT_SECRET" "JWT_SECRET=${JWT_SECRET:0:31}"

#!/usr/bin/env node
// Checks docker-compose.yml and Dockerfile without a Docker engine (CI has none).
//
//   node scripts/validate-compose.mjs
//
// docker-compose.yml is parsed with the `yaml` package (YAML 1.2, anchors and merge keys as
// Compose reads them); the Dockerfile with a small line parser (continuations, comments,
// stages). Every problem found is listed, then the script exits 1; it exits 0 when all is well.
// scripts/docker-steps.sh complements this by running the Dockerfile's steps for real.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { dockerignoreMatcher } from './dockerignore.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = 'docker-compose.yml';
const DOCKERFILE = 'Dockerfile';
/** Variables only the compose file uses (never read by the app), so not in .env.example. */
const COMPOSE_ONLY_VARS = new Set(['POSTGRES_PASSWORD', 'API_PORT']);
/** Produced inside the image by the build stage, so absent from a clean checkout. */
const BUILD_OUTPUTS = ['dist', 'web/dist'];
const RUNTIME_BASE_IMAGE = 'node:20-bookworm-slim';

const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// .env.example: the variables the app documents (`NAME=value`, also commented-out `# NAME=`).
const documentedVars = new Set(
  [...read('.env.example').matchAll(/^\s*#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
);
if (!documentedVars.has('JWT_SECRET') || !documentedVars.has('DATABASE_URL')) {
  fail('.env.example', 'does not document JWT_SECRET and DATABASE_URL; cannot check variables against it');
}

// ---------------------------------------------------------------------------------------------
// .dockerignore (matcher shared with docker-steps.sh).
let dockerignoreText = '';
try {
  dockerignoreText = read('.dockerignore');
} catch {
  fail('.dockerignore', 'missing: the build context would include node_modules, .git, .env and local data');
}
const ignoredByDocker = dockerignoreMatcher(dockerignoreText);
for (const must of ['node_modules', '.git', '.env', '.data', 'dist']) {
  if (!ignoredByDocker(must)) fail('.dockerignore', `should exclude ${must}`);
}
if (ignoredByDocker('package-lock.json')) fail('.dockerignore', 'must not exclude package-lock.json (npm ci needs it)');

// ---------------------------------------------------------------------------------------------
// docker-compose.yml
function loadCompose() {
  const doc = YAML.parseDocument(read(COMPOSE_FILE), { merge: true, prettyErrors: true, uniqueKeys: true });
  for (const e of doc.errors) fail(COMPOSE_FILE, `YAML error: ${e.message}`);
  for (const w of doc.warnings) fail(COMPOSE_FILE, `YAML warning: ${w.message}`);
  if (doc.errors.length) return undefined;
  const compose = doc.toJS({ maxAliasCount: 100 });
  if (!isObject(compose)) {
    fail(COMPOSE_FILE, 'is not a YAML mapping');
    return undefined;
  }
  return compose;
}

/** `environment:` as a map, whether written as a mapping or as a `KEY=value` list. */
function environmentOf(service) {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const s = String(e);
        const i = s.indexOf('=');
        return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
      }),
    );
  }
  return isObject(env) ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? undefined : String(v)])) : {};
}

/** `depends_on:` as { name: condition }; the short (list) form has no condition. */
function dependsOn(service) {
  const d = service.depends_on;
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, undefined]));
  return isObject(d) ? Object.fromEntries(Object.entries(d).map(([n, v]) => [n, isObject(v) ? v.condition : undefined])) : {};
}

function checkHealthcheck(name, service, mustMention) {
  const hc = service.healthcheck;
  if (!isObject(hc) || hc.disable === true) return fail(`services.${name}`, 'needs a healthcheck');
  const test = Array.isArray(hc.test) ? hc.test.map(String) : typeof hc.test === 'string' ? [hc.test] : [];
  if (!test.length || test[0] === 'NONE') return fail(`services.${name}.healthcheck`, 'needs a test');
  if (Array.isArray(hc.test) && !['CMD', 'CMD-SHELL'].includes(test[0])) {
    fail(`services.${name}.healthcheck.test`, `list form must start with CMD or CMD-SHELL, not ${test[0]}`);
  }
  if (mustMention && !test.join(' ').includes(mustMention)) {
    fail(`services.${name}.healthcheck.test`, `should use ${mustMention}`);
  }
}

/** Every `${VAR}` / `$VAR` in the parsed values (comments are gone), `$$` being a literal `$`. */
function referencedVars(value, found = new Map(), where = '') {
  if (typeof value === 'string') {
    const text = value.replace(/\$\$/g, '');
    for (const m of text.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g)) {
      const name = m[1] ?? m[3];
      if (!found.has(name)) found.set(name, { where, modifier: m[2] ?? '' });
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => referencedVars(v, found, `${where}[${i}]`));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) referencedVars(v, found, where ? `${where}.${k}` : k);
  }
  return found;
}

function hostOf(url) {
  try {
    return new URL(url.replace(/\$\{[^}]*\}/g, 'x')).hostname;
  } catch {
    return undefined;
  }
}

function checkCompose(compose) {
  const services = isObject(compose.services) ? compose.services : {};
  for (const name of ['postgres', 'redis', 'api', 'seed']) {
    if (!isObject(services[name])) fail(COMPOSE_FILE, `service "${name}" is missing`);
  }
  const { postgres, redis, api, seed } = services;
  const declaredVolumes = isObject(compose.volumes) ? Object.keys(compose.volumes) : [];

  // Named volumes used by any service must be declared at the top level.
  for (const [name, service] of Object.entries(services)) {
    for (const v of Array.isArray(service?.volumes) ? service.volumes : []) {
      const source = typeof v === 'string' ? v.split(':')[0] : v?.source;
      const isNamed = typeof v === 'string' ? source && !/^[./~]/.test(source) && v.includes(':') : v?.type === 'volume';
      if (isNamed && !declaredVolumes.includes(source)) {
        fail(`services.${name}.volumes`, `named volume "${source}" is not declared under top-level volumes:`);
      }
    }
  }

  if (isObject(postgres)) {
    if (!String(postgres.image ?? '').startsWith('postgres:')) fail('services.postgres.image', 'should be a postgres image');
    const dataVolume = (Array.isArray(postgres.volumes) ? postgres.volumes : []).find((v) =>
      (typeof v === 'string' ? v.split(':')[1] : v?.target) === '/var/lib/postgresql/data',
    );
    const source = typeof dataVolume === 'string' ? dataVolume.split(':')[0] : dataVolume?.source;
    if (!dataVolume) fail('services.postgres.volumes', 'needs a volume on /var/lib/postgresql/data (else data dies with the container)');
    else if (!declaredVolumes.includes(source)) fail('services.postgres.volumes', `"${source}" should be a named volume declared at the top level`);
    checkHealthcheck('postgres', postgres, 'pg_isready');
    const env = environmentOf(postgres);
    if (!env.POSTGRES_PASSWORD) fail('services.postgres.environment', 'needs POSTGRES_PASSWORD');
  }
  if (isObject(redis)) {
    if (!String(redis.image ?? '').startsWith('redis:')) fail('services.redis.image', 'should be a redis image');
    checkHealthcheck('redis', redis, 'redis-cli');
  }

  const appEnvironmentChecks = (name, service) => {
    const env = environmentOf(service);
    for (const key of ['DATABASE_URL', 'JWT_SECRET', 'NODE_ENV']) {
      if (!env[key]) fail(`services.${name}.environment`, `needs ${key}`);
    }
    if (env.JWT_SECRET && !/^\$\{JWT_SECRET:\?[^}]+\}$/.test(env.JWT_SECRET)) {
      fail(`services.${name}.environment.JWT_SECRET`, 'must be ${JWT_SECRET:?message} so compose refuses to start without it');
    }
    if (env.DATABASE_URL && hostOf(env.DATABASE_URL) !== 'postgres') {
      fail(`services.${name}.environment.DATABASE_URL`, 'should point at the postgres service (host "postgres")');
    }
    // Anything handed to the app must be a variable it reads (catches typos such as DB_POOLSIZE).
    for (const key of Object.keys(env)) {
      if (!documentedVars.has(key)) fail(`services.${name}.environment`, `${key} is not a variable of the app (.env.example)`);
    }
    const build = service.build;
    const context = typeof build === 'string' ? build : build?.context;
    if (context !== '.') fail(`services.${name}.build`, 'should build this repository (context ".")');
    return env;
  };

  if (isObject(api)) {
    const deps = dependsOn(api);
    for (const dep of ['postgres', 'redis']) {
      if (!(dep in deps)) fail('services.api.depends_on', `needs ${dep}`);
      else if (deps[dep] !== 'service_healthy') {
        fail(`services.api.depends_on.${dep}`, 'needs condition: service_healthy (waits for the healthcheck, not just the start)');
      }
    }
    checkHealthcheck('api', api, '/ready');
    const env = appEnvironmentChecks('api', api);
    if (!env.REDIS_URL) fail('services.api.environment', 'needs REDIS_URL');
    else if (hostOf(env.REDIS_URL) !== 'redis') fail('services.api.environment.REDIS_URL', 'should point at the redis service');
    // The container ports the app listens on must be published.
    const published = (Array.isArray(api.ports) ? api.ports : []).map((p) =>
      typeof p === 'object' ? String(p.target) : String(p).split('/')[0].split(':').pop(),
    );
    const port = env.PORT ?? '3000';
    const wsPort = env.WS_PORT ?? '3001';
    for (const p of new Set([port, wsPort])) {
      if (!published.includes(p)) fail('services.api.ports', `container port ${p} (${p === port ? 'PORT' : 'WS_PORT'}) is not published`);
    }
    const seedEnv = isObject(seed) ? environmentOf(seed) : {};
    if (isObject(seed) && seedEnv.DATABASE_URL !== env.DATABASE_URL) {
      fail('services.seed.environment.DATABASE_URL', 'must be the same database as the api');
    }
  }

  if (isObject(seed)) {
    const profiles = Array.isArray(seed.profiles) ? seed.profiles : [];
    if (!profiles.includes('seed')) fail('services.seed.profiles', 'must include "seed" so it only runs on demand');
    const command = Array.isArray(seed.command) ? seed.command.join(' ') : String(seed.command ?? '');
    if (!command.includes('dist/seed/run-seed.js')) fail('services.seed.command', 'should run node dist/seed/run-seed.js');
    if (dependsOn(seed).postgres !== 'service_healthy') {
      fail('services.seed.depends_on', 'needs postgres with condition: service_healthy');
    }
    appEnvironmentChecks('seed', seed);
  }

  for (const [name, { where, modifier }] of referencedVars(compose)) {
    if (!documentedVars.has(name) && !COMPOSE_ONLY_VARS.has(name)) {
      fail(COMPOSE_FILE, `\${${name}} (at ${where}) is neither documented in .env.example nor a compose-only variable (${[...COMPOSE_ONLY_VARS].join(', ')})`);
    }
    if (name === 'JWT_SECRET' && !modifier.startsWith(':?')) fail(COMPOSE_FILE, `\${JWT_SECRET} at ${where} must use :? (required)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Dockerfile
function parseDockerfile(text) {
  const lines = text.split(/\r?\n/);
  const instructions = [];
  let current = '';
  let startLine = 0;
  let escape = '\\';
  lines.forEach((raw, i) => {
    const directive = /^#\s*escape\s*=\s*(\S)/i.exec(raw);
    if (directive && !instructions.length && !current) escape = directive[1];
    if (!current && /^\s*(#|$)/.test(raw)) return;
    if (current && /^\s*#/.test(raw)) return; // comment lines inside a continuation
    if (!current) startLine = i + 1;
    const trimmed = raw.replace(/\s+$/, '');
    if (trimmed.endsWith(escape)) {
      current += `${trimmed.slice(0, -1)} `;
    } else {
      current += trimmed;
      const m = /^\s*(\w+)\s*(.*)$/s.exec(current);
      if (m) instructions.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: startLine });
      current = '';
    }
  });
  return instructions;
}

/** Splits `--flag=value` options from the arguments of COPY/ADD/HEALTHCHECK. */
function splitFlags(args) {
  const flags = {};
  let rest = args;
  for (;;) {
    const m = /^--([\w-]+)(?:=(\S+))?\s*/.exec(rest);
    if (!m) break;
    flags[m[1]] = m[2] ?? true;
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function execOrShell(text) {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const parsed = JSON.parse(t);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return { exec: parsed };
    } catch {
      /* falls through: Docker treats invalid JSON as shell form */
    }
    return { invalidJson: true, shell: t };
  }
  return { shell: t };
}

function checkDockerfile() {
  let text;
  try {
    text = read(DOCKERFILE);
  } catch {
    fail(DOCKERFILE, 'missing');
    return;
  }
  const instructions = parseDockerfile(text);
  const globalArgs = {};
  const stages = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) {
        fail(`${DOCKERFILE}:${ins.line}`, `cannot read FROM ${ins.args}`);
        continue;
      }
      const image = m[1].replace(/\$\{?(\w+)\}?/g, (_, n) => globalArgs[n] ?? `\${${n}}`);
      stages.push({ image, name: m[2]?.toLowerCase(), line: ins.line, instructions: [] });
    } else if (!stages.length) {
      if (ins.keyword === 'ARG') {
        const m = /^(\w+)(?:=(.*))?$/.exec(ins.args);
        if (m) globalArgs[m[1]] = m[2]?.replace(/^["']|["']$/g, '');
      } else {
        fail(`${DOCKERFILE}:${ins.line}`, `${ins.keyword} before the first FROM`);
      }
    } else {
      stages.at(-1).instructions.push(ins);
    }
  }

  if (stages.length < 2) fail(DOCKERFILE, `needs a multi-stage build (found ${stages.length} FROM)`);
  if (!stages.length) return;
  const names = stages.map((s) => s.name);
  stages.forEach((stage, i) => {
    const earlier = names.slice(0, i);
    if (!earlier.includes(stage.image.toLowerCase()) && !stage.image.startsWith(RUNTIME_BASE_IMAGE)) {
      fail(`${DOCKERFILE}:${stage.line}`, `stage "${stage.name ?? i}" is based on ${stage.image}, expected ${RUNTIME_BASE_IMAGE} or an earlier stage`);
    }
  });

  const runs = (stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
  const allRuns = stages.map(runs).join('\n');
  if (!/\bnpm ci\b(?![^\n]*--omit=dev)/.test(allRuns)) fail(DOCKERFILE, 'no stage runs a full `npm ci` (the build needs dev dependencies)');
  if (!/\bnpm run build(?!:)/.test(allRuns)) fail(DOCKERFILE, 'no stage runs `npm run build`');
  if (!/\bnpm run build:web\b/.test(allRuns)) fail(DOCKERFILE, 'no stage runs `npm run build:web`');
  if (!/\bnpm ci\b[^\n]*--omit=dev/.test(allRuns)) fail(DOCKERFILE, 'no stage installs production dependencies only (`npm ci --omit=dev`)');

  // Every COPY/ADD: --from names an earlier stage; sources from the context exist and are not
  // excluded by .dockerignore (except the build outputs, produced in the build stage).
  stages.forEach((stage, i) => {
    for (const ins of stage.instructions.filter((x) => x.keyword === 'COPY' || x.keyword === 'ADD')) {
      const { flags, rest } = splitFlags(ins.args);
      const form = execOrShell(rest);
      const parts = form.exec ?? rest.split(/\s+/);
      const sources = parts.slice(0, -1);
      if (!sources.length) fail(`${DOCKERFILE}:${ins.line}`, `${ins.keyword} needs a source and a destination`);
      if (flags.from) {
        const from = String(flags.from).toLowerCase();
        if (!names.slice(0, i).includes(from) && !/[:/]/.test(from)) {
          fail(`${DOCKERFILE}:${ins.line}`, `--from=${flags.from} is not an earlier stage`);
        }
        continue;
      }
      for (const src of sources) {
        if (/^https?:\/\//.test(src)) continue;
        const rel = path.posix.normalize(src).replace(/^\.?\/+/, '').replace(/\/+$/, '') || '.';
        if (BUILD_OUTPUTS.some((o) => rel === o || rel.startsWith(`${o}/`))) continue;
        if (/[*?[]/.test(rel)) {
          const dir = path.posix.dirname(rel);
          const re = new RegExp(`^${path.posix.basename(rel).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
          const matches = fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).filter((f) => re.test(f)) : [];
          if (!matches.length) fail(`${DOCKERFILE}:${ins.line}`, `COPY ${src}: nothing in the repository matches`);
          continue;
        }
        if (!fs.existsSync(path.join(root, rel))) fail(`${DOCKERFILE}:${ins.line}`, `COPY ${src}: no such file or folder in the repository`);
        else if (rel !== '.' && ignoredByDocker(rel)) fail(`${DOCKERFILE}:${ins.line}`, `COPY ${src}: excluded from the build context by .dockerignore`);
      }
    }
  });

  // The final stage is what runs.
  const final = stages.at(-1);
  const finalOf = (keyword) => final.instructions.filter((x) => x.keyword === keyword);
  const user = finalOf('USER').at(-1);
  if (!user) fail(DOCKERFILE, 'the final stage has no USER line (it would run as root)');
  else if (/^(root|0)(:.*)?$/.test(user.args.trim())) fail(`${DOCKERFILE}:${user.line}`, 'USER must not be root');

  const healthcheck = finalOf('HEALTHCHECK').at(-1);
  if (!healthcheck) fail(DOCKERFILE, 'the final stage has no HEALTHCHECK');
  else {
    const { rest } = splitFlags(healthcheck.args);
    if (/^NONE$/i.test(rest)) fail(`${DOCKERFILE}:${healthcheck.line}`, 'HEALTHCHECK NONE disables the check');
    const m = /^CMD\s+(.*)$/is.exec(rest);
    if (!m) fail(`${DOCKERFILE}:${healthcheck.line}`, 'HEALTHCHECK needs CMD');
    else {
      const form = execOrShell(m[1]);
      if (form.invalidJson) fail(`${DOCKERFILE}:${healthcheck.line}`, 'HEALTHCHECK CMD looks like JSON but does not parse');
      if (!m[1].includes('/ready')) fail(`${DOCKERFILE}:${healthcheck.line}`, 'HEALTHCHECK should call /ready');
      if (/\bcurl\b|\bwget\b/.test(m[1])) fail(`${DOCKERFILE}:${healthcheck.line}`, 'slim images have neither curl nor wget; use node');
    }
  }

  const cmd = finalOf('CMD').at(-1);
  const cmdForm = cmd && execOrShell(cmd.args);
  if (!cmd) fail(DOCKERFILE, 'the final stage has no CMD');
  else if (!cmdForm.exec) fail(`${DOCKERFILE}:${cmd.line}`, 'CMD should use the exec (JSON) form so node receives SIGTERM');
  else if (cmdForm.exec.join(' ') !== 'node dist/main.js') fail(`${DOCKERFILE}:${cmd.line}`, 'CMD should be ["node", "dist/main.js"]');

  const env = finalOf('ENV').map((x) => x.args).join(' ');
  if (!/\bNODE_ENV[= ]"?production\b/.test(env)) fail(DOCKERFILE, 'the final stage should set ENV NODE_ENV=production');
  const exposed = finalOf('EXPOSE').flatMap((x) => x.args.split(/\s+/).map((p) => p.split('/')[0]));
  for (const p of ['3000', '3001']) if (!exposed.includes(p)) fail(DOCKERFILE, `the final stage should EXPOSE ${p}`);

  const copiedFromBuild = finalOf('COPY').map((x) => x.args).join('\n');
  for (const needed of ['dist', 'web/dist', 'migrations', 'node_modules', 'package.json']) {
    if (!new RegExp(`(^|[\\s/])${needed.replace('/', '\\/')}(\\s|/|$)`, 'm').test(copiedFromBuild)) {
      fail(DOCKERFILE, `the final stage does not copy ${needed}`);
    }
  }
  return stages;
}

const compose = loadCompose();
if (compose) checkCompose(compose);
const stages = checkDockerfile();

if (problems.length) {
  console.error(`validate-compose: ${problems.length} problem(s) in the Docker files:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(
  `validate-compose: OK: ${COMPOSE_FILE} (services ${Object.keys(compose.services).join(', ')}; ` +
    `volumes ${Object.keys(compose.volumes ?? {}).join(', ')}) and ${DOCKERFILE} ` +
    `(stages ${stages.map((s) => s.name ?? '?').join(' -> ')}).`,
);

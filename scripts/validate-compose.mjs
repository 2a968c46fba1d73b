#!/usr/bin/env node
// This project's rules for docker-compose.yml, beyond what a real tool checks. CI runs it after
// `npx dclint docker-compose.yml` (the Compose specification's JSON schema and lint rules, see
// .dclintrc.yml); the Dockerfile itself is built and smoke-tested with podman
// (scripts/container-smoke.sh), so nothing here reads it.
//
//   node scripts/validate-compose.mjs
//
// The file is parsed with the `yaml` package (anchors and merge keys as Compose reads them). The
// rules: every variable handed to the app is one it reads (.env.example), JWT_SECRET is required
// (`:?`), the app waits for healthy dependencies, data lives in a named volume, the seed service
// runs only on demand. Every problem found is listed, then the script exits 1.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = 'docker-compose.yml';
/** Variables only the compose file uses (never read by the app), so not in .env.example. */
const COMPOSE_ONLY_VARS = new Set(['POSTGRES_PASSWORD', 'API_PORT']);

const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// .env.example: the variables the app documents (`NAME=value`, also commented-out `# NAME=`).
const documentedVars = new Set([...read('.env.example').matchAll(/^\s*#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
if (!documentedVars.has('JWT_SECRET') || !documentedVars.has('DATABASE_URL')) {
  fail('.env.example', 'does not document JWT_SECRET and DATABASE_URL; cannot check variables against it');
}

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
  return isObject(env)
    ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? undefined : String(v)]))
    : {};
}

/** `depends_on:` as { name: condition }; the short (list) form has no condition. */
function dependsOn(service) {
  const d = service.depends_on;
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, undefined]));
  return isObject(d)
    ? Object.fromEntries(Object.entries(d).map(([n, v]) => [n, isObject(v) ? v.condition : undefined]))
    : {};
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
      const isNamed =
        typeof v === 'string' ? source && !/^[./~]/.test(source) && v.includes(':') : v?.type === 'volume';
      if (isNamed && !declaredVolumes.includes(source)) {
        fail(`services.${name}.volumes`, `named volume "${source}" is not declared under top-level volumes:`);
      }
    }
  }

  if (isObject(postgres)) {
    if (!String(postgres.image ?? '').startsWith('postgres:'))
      fail('services.postgres.image', 'should be a postgres image');
    const dataVolume = (Array.isArray(postgres.volumes) ? postgres.volumes : []).find(
      (v) => (typeof v === 'string' ? v.split(':')[1] : v?.target) === '/var/lib/postgresql/data',
    );
    const source = typeof dataVolume === 'string' ? dataVolume.split(':')[0] : dataVolume?.source;
    if (!dataVolume)
      fail(
        'services.postgres.volumes',
        'needs a volume on /var/lib/postgresql/data (else data dies with the container)',
      );
    else if (!declaredVolumes.includes(source))
      fail('services.postgres.volumes', `"${source}" should be a named volume declared at the top level`);
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
      fail(
        `services.${name}.environment.JWT_SECRET`,
        'must be ${JWT_SECRET:?message} so compose refuses to start without it',
      );
    }
    if (env.DATABASE_URL && hostOf(env.DATABASE_URL) !== 'postgres') {
      fail(`services.${name}.environment.DATABASE_URL`, 'should point at the postgres service (host "postgres")');
    }
    // Anything handed to the app must be a variable it reads (catches typos such as DB_POOLSIZE).
    for (const key of Object.keys(env)) {
      if (!documentedVars.has(key))
        fail(`services.${name}.environment`, `${key} is not a variable of the app (.env.example)`);
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
        fail(
          `services.api.depends_on.${dep}`,
          'needs condition: service_healthy (waits for the healthcheck, not just the start)',
        );
      }
    }
    checkHealthcheck('api', api, '/ready');
    const env = appEnvironmentChecks('api', api);
    if (!env.REDIS_URL) fail('services.api.environment', 'needs REDIS_URL');
    else if (hostOf(env.REDIS_URL) !== 'redis')
      fail('services.api.environment.REDIS_URL', 'should point at the redis service');
    // The container ports the app listens on must be published.
    const published = (Array.isArray(api.ports) ? api.ports : []).map((p) =>
      typeof p === 'object' ? String(p.target) : String(p).split('/')[0].split(':').pop(),
    );
    const port = env.PORT ?? '3000';
    const wsPort = env.WS_PORT ?? '3001';
    for (const p of new Set([port, wsPort])) {
      if (!published.includes(p))
        fail('services.api.ports', `container port ${p} (${p === port ? 'PORT' : 'WS_PORT'}) is not published`);
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
    if (!command.includes('dist/seed/run-seed.js'))
      fail('services.seed.command', 'should run node dist/seed/run-seed.js');
    if (dependsOn(seed).postgres !== 'service_healthy') {
      fail('services.seed.depends_on', 'needs postgres with condition: service_healthy');
    }
    appEnvironmentChecks('seed', seed);
  }

  for (const [name, { where, modifier }] of referencedVars(compose)) {
    if (!documentedVars.has(name) && !COMPOSE_ONLY_VARS.has(name)) {
      fail(
        COMPOSE_FILE,
        `\${${name}} (at ${where}) is neither documented in .env.example nor a compose-only variable (${[...COMPOSE_ONLY_VARS].join(', ')})`,
      );
    }
    if (name === 'JWT_SECRET' && !modifier.startsWith(':?'))
      fail(COMPOSE_FILE, `\${JWT_SECRET} at ${where} must use :? (required)`);
  }
}

const compose = loadCompose();
if (compose) checkCompose(compose);

if (problems.length) {
  console.error(`validate-compose: ${problems.length} problem(s) in ${COMPOSE_FILE}:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(
  `validate-compose: OK: ${COMPOSE_FILE} (services ${Object.keys(compose.services).join(', ')}; ` +
    `volumes ${Object.keys(compose.volumes ?? {}).join(', ')}).`,
);

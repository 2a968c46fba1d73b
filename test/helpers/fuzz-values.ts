/**
 * The fuzzer's value generators for test/security/fuzz.test.ts (through ./fuzz): a seeded PRNG,
 * interesting strings, numbers and field names, random JSON values, query strings, mutations of a
 * valid body, content types and raw bodies no serializer would produce. Nothing here knows the
 * service or its cast (that is ./fuzz).
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED =
  process.env.FUZZ_SEED === 'random'
    ? crypto.randomInt(0, 2 ** 32)
    : process.env.FUZZ_SEED
      ? Number(process.env.FUZZ_SEED) >>> 0
      : 0x5eed_2026;
export const random = mulberry32(SEED);
export const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
export const chance = (p: number) => random() < p;
export const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

// ---------------------------------------------------------------------------------------------
// Random values
// ---------------------------------------------------------------------------------------------

/**
 * Ids of the cast's real rows, so random strings sometimes hit something that exists; ./fuzz sets
 * it once the cast is known (this module knows no service).
 */
let knownIds: () => string[] = () => [crypto.randomUUID()];
export function useKnownIds(ids: () => string[]): void {
  knownIds = ids;
}

export const INTERESTING_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u202d',
  '\ufeff',
  '😀'.repeat(50),
  'Ω≈ç√∫˜µ≤≥÷',
  'Málaga',
  '％＿＼',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '%',
  '_',
  '\\',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  'null',
  'true',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '1e309',
  '0x1F',
  '1.005',
  '00000000-0000-0000-0000-000000000000',
  'ADMIN',
  'CONFIRMED',
  '2030-02-30T25:61:61Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.000Z',
  '__proto__',
  'constructor',
];
export const INTERESTING_NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  10,
  11,
  0.5,
  1.5,
  -1.5,
  0.001,
  1.005,
  49.99,
  99.999,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53 + 2,
  -(2 ** 63),
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  Number.EPSILON,
  10_000_001,
  1_000_001,
];
export const FIELD_NAMES = [
  'nombre',
  'email',
  'password',
  'role',
  'descripcion',
  'fecha',
  'ubicacion',
  'capacidadTotal',
  'precioBase',
  'categorias',
  'precio',
  'cantidadTotal',
  'beneficios',
  'eventoId',
  'tickets',
  'categoriaId',
  'cantidad',
  'metodoPago',
  'transactionId',
  'estado',
  'total',
  'organizadorId',
  'disponible',
  'id',
  'createdAt',
  'usuarioId',
  'precioUnitario',
  'pago',
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '$gt',
  '',
  ' ',
  '\u0000',
  'a'.repeat(300),
];

export function randomString(): string {
  switch (int(0, 4)) {
    case 0:
      return pick(INTERESTING_STRINGS);
    case 1:
      return Array.from({ length: int(0, 20) }, () => String.fromCharCode(int(0, 0xffff))).join('');
    case 2:
      return 'x'.repeat(pick([199, 200, 201, 256, 1000, 5001, 20_000]));
    case 3:
      return Array.from({ length: int(1, 12) }, () => String.fromCharCode(int(0x20, 0x7e))).join('');
    default:
      return pick(knownIds());
  }
}

export function randomValue(depth = 0): unknown {
  const kinds = depth > 3 ? 5 : 7;
  switch (int(0, kinds)) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick(INTERESTING_NUMBERS);
    case 3:
      return (random() - 0.5) * 10 ** int(0, 12);
    case 4:
    case 5:
      return randomString();
    case 6:
      return Array.from({ length: int(0, 4) }, () => randomValue(depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = int(0, 5); i > 0; i--) obj[pick(FIELD_NAMES)] = randomValue(depth + 1);
      return obj;
    }
  }
}

export const QUERY_KEYS = [
  'page',
  'limit',
  'q',
  'ubicacion',
  'fecha',
  'disponible',
  'estado',
  'eventoId',
  'usuarioId',
  'sort',
  '__proto__',
];
/** Already as they go on the wire: some deliberately malformed (`%ZZ`, a lone `%`). */
export const QUERY_VALUES = [
  '1',
  '0',
  '-1',
  '100',
  '101',
  '1e3',
  'true',
  'RESERVED',
  '2030-01-01',
  '%',
  '_',
  '%25',
  '%ZZ',
  '%00',
  '%EF%BC%85',
  "'",
  'a%20b',
];

/** encodeURIComponent throws on lone surrogates; the fuzzer sends U+FFFD for them instead. */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
}

export function randomQuery(): string {
  const parts: string[] = [];
  for (let i = int(0, 4); i > 0; i--) {
    const key = pick(QUERY_KEYS);
    const shape = int(0, 5);
    const value = chance(0.6) ? pick(QUERY_VALUES) : encode(randomString().slice(0, 300));
    if (shape === 0) parts.push(`${key}[]=${value}`);
    else if (shape === 1) parts.push(`${key}[$ne]=${value}`);
    else if (shape === 2) parts.push(`${key}=${value}&${key}=${pick(QUERY_VALUES)}`);
    else parts.push(`${key}=${value}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

export function mutate(template: unknown): unknown {
  if (template === null || typeof template !== 'object' || Array.isArray(template)) return randomValue();
  const copy = JSON.parse(JSON.stringify(template)) as Record<string, unknown>;
  const keys = Object.keys(copy);
  for (let i = int(1, 3); i > 0; i--) {
    switch (int(0, 4)) {
      case 0:
        if (keys.length > 0) delete copy[pick(keys)];
        break;
      case 1:
        if (keys.length > 0) copy[pick(keys)] = randomValue();
        break;
      case 2:
        copy[pick(FIELD_NAMES)] = randomValue();
        break;
      case 3: {
        // Reach into a nested array of objects (categorias, tickets).
        const nested = keys.map((k) => copy[k]).find((v) => Array.isArray(v) && v.length > 0) as
          Record<string, unknown>[] | undefined;
        const first = nested?.[0];
        if (first && typeof first === 'object') first[pick(FIELD_NAMES)] = randomValue();
        break;
      }
      default:
        if (keys.length > 0) copy[pick(keys)] = pick(INTERESTING_NUMBERS);
    }
  }
  return copy;
}

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/merge-patch+json',
  '*/*',
  'application/json, text/html',
];

/** Raw bodies no serializer would produce. */
export function malformedBody(): { body: Buffer; note: string; headers?: Record<string, string> } {
  switch (int(0, 11)) {
    case 0:
      return { body: Buffer.from(''), note: 'empty body' };
    case 1:
      return {
        body: Buffer.from(
          pick(['{', '{"a":', '[1,2', "{'a':1}", '{"a":1,}', 'nul', 'tru', '{"a" 1}', '}', '"unterminated']),
        ),
        note: 'broken JSON',
      };
    case 2:
      return {
        body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
        note: 'invalid UTF-8',
      };
    case 3: {
      const depth = pick([100, 1000, 10_000, 40_000]);
      return { body: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`), note: `array nested ${depth} deep` };
    }
    case 4: {
      const depth = pick([100, 1000, 5000]);
      return {
        body: Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
        note: `object nested ${depth} deep`,
      };
    }
    case 5:
      return {
        body: Buffer.from(
          `{"cantidad": ${pick(['1e999', '-1e999', '123456789012345678901234567890', '-0', '0.1e-400', '1E+2', '0001'])}, "precio": 1e400}`,
        ),
        note: 'huge number literals',
      };
    case 6:
      return { body: Buffer.from(JSON.stringify({ nombre: 'x'.repeat(110 * 1024) })), note: 'over 100 kB' };
    case 7:
      return { body: Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')]), note: 'UTF-8 BOM' };
    case 8:
      return { body: Buffer.from('{"a":"\\ud800","b":"\\u0000"}'), note: 'escaped lone surrogate and NUL' };
    case 9:
      return {
        body: zlib.gzipSync(JSON.stringify(randomValue())),
        note: 'valid gzip',
        headers: { 'content-encoding': 'gzip' },
      };
    case 10:
      return {
        body: Buffer.from(pick(['not gzip at all', '\u001f\u008b broken'])),
        note: 'invalid compressed body',
        headers: { 'content-encoding': pick(['gzip', 'deflate', 'br']) },
      };
    default:
      return {
        body: Buffer.from('{"a":1}'),
        note: 'unknown content-encoding',
        headers: { 'content-encoding': pick(['compress', 'x-custom', 'identity, gzip']) },
      };
  }
}

export const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/**
 * Seeded generators of random and hostile inputs: odd types, huge numbers, Unicode, control characters,
 * truncation, deep nesting, huge strings. The same seed always gives the same inputs, so a failure names its
 * seed and case and can be replayed; no dependency beyond a small PRNG.
 */

/** mulberry32: a 32-bit seeded PRNG, good enough to spread test inputs (not for anything secret). */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}

const UNICODE = [
  'é',
  'ü',
  '日本',
  '🔑',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\u0661',
  'ａ',
  'Ω',
  '\u0301',
  '\ud800',
];
const CONTROLS = [
  '\u0000',
  '\u0007',
  '\u0008',
  '\t',
  '\n',
  '\r',
  '\u001b[2J',
  '\u001b]0;x\u0007',
  '\u007f',
  '\u0085',
  '\u009b',
];
const NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  1e-300,
  1e21,
  1e300,
  -1e300,
  2 ** 53 + 1,
  1700000000,
  99999999999,
  1e15,
  Number.MAX_VALUE,
];

/** A random string of one of several hostile kinds. */
export function hostileString(random: SeededRandom): string {
  switch (random.below(8)) {
    case 0:
      return '';
    case 1:
      return Array.from({ length: 1 + random.below(20) }, () => String.fromCharCode(33 + random.below(94))).join('');
    case 2:
      return Array.from({ length: 1 + random.below(6) }, () => random.pick(UNICODE)).join('');
    case 3:
      return `ok${random.pick(CONTROLS)}${random.pick(CONTROLS)}tail`;
    case 4:
      return 'x'.repeat(random.pick([129, 1000, 70000]));
    case 5:
      return random.pick(['2026-13-40T99:99:99Z', '9999-12-31T23:59:59Z', '1970-01-01T00:00:00Z', '12', '1e5', 'NaN', 'null', '{"a":1}']);
    case 6:
      return random.pick(['"', '\\', '\'', '$(reboot)', '`id`', '; rm -rf /', '../../etc/passwd', '%00', '\\u0000']);
    default:
      return random.pick(['S3RVER', 'sensor-0001', 'https://127.0.0.1:1', 'credentials', 'ap-northeast-1']);
  }
} // prettier-ignore

/** A random JSON value of any type, nested at most `depth` levels. */
export function hostileValue(random: SeededRandom, depth = 2): unknown {
  switch (random.below(depth > 0 ? 7 : 5)) {
    case 0:
      return hostileString(random);
    case 1:
      return random.pick(NUMBERS);
    case 2:
      return random.pick([true, false]);
    case 3:
      return null;
    case 4:
      return hostileString(random);
    case 5:
      return Array.from({ length: random.below(4) }, () => hostileValue(random, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: random.below(4) }, () => [
          hostileString(random),
          hostileValue(random, depth - 1),
        ]),
      );
  }
}

/** Every path to a value inside `value` (objects and arrays), the root included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  }
  return out;
}

function setPath(root: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove && !Array.isArray(node)) delete node[last];
  else node[last] = value;
  return copy;
}

function nest(depth: number, inner: string): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/**
 * A body derived from a valid `base`: usually one mutation of a JSON value (a leaf replaced by a hostile
 * value, a key removed, a key added), sometimes damage to the text itself (truncated, doubled, garbage
 * appended, deep nesting, invalid UTF-8), sometimes the valid body untouched.
 */
export function mutatedBody(random: SeededRandom, base: unknown): Buffer {
  const text = (value: unknown) => Buffer.from(JSON.stringify(value));
  const valid = JSON.stringify(base);
  switch (random.below(10)) {
    case 0:
      return Buffer.from(valid);
    case 1:
    case 2:
    case 3: {
      const path = random.pick(paths(base));
      return text(setPath(base, path, hostileValue(random), false));
    }
    case 4: {
      const path = random.pick(paths(base).filter((p) => p.length > 0));
      return text(setPath(base, path, undefined, true));
    }
    case 5:
      return Buffer.from(valid.slice(0, random.below(valid.length)));
    case 6:
      return Buffer.from(random.pick([valid + valid, `${valid}\n${valid}`, `${valid}garbage`, `[${valid}]`, `"${valid}"`]));
    case 7:
      return Buffer.from(nest(random.pick([100, 300, 5000]), valid));
    case 8:
      return Buffer.concat([Buffer.from(valid.slice(0, 20)), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80, 0x1b]), Buffer.from(valid.slice(20))]);
    default:
      return text(hostileValue(random, 3));
  }
} // prettier-ignore

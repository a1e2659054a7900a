/**
 * A small seeded PRNG. Every random choice netsim makes (jitter, slice sizes, toxicity, cut offsets) draws from an
 * `Rng` derived from the run's seed plus labels naming the choice (proxy, connection number, toxic, request number).
 * Deriving per choice, rather than sharing one stream, keeps results independent of event timing: two connections
 * racing each other cannot steal each other's numbers, so the same seed and the same traffic give the same faults.
 *
 * The generator is a Weyl sequence (a counter stepped by an odd constant) passed through a 32-bit avalanche mix.
 * It is not cryptographic, and need not be: it only has to be reproducible and look uniform.
 */

const GOLDEN = 0x9e3779b9

/** A 32-bit avalanche: every input bit affects every output bit. */
function mix32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  h = Math.imul(h, 0x846ca68b)
  h ^= h >>> 16
  return h >>> 0
}

/** Folds a label into a running 32-bit hash (FNV-1a over UTF-16 code units, then mixed). */
function hashLabel(h: number, label: string | number): number {
  const s = typeof label === 'number' ? `#${label}` : label
  let x = (h ^ 0x811c9dc5) >>> 0
  for (let i = 0; i < s.length; i++) {
    x ^= s.charCodeAt(i)
    x = Math.imul(x, 0x01000193)
  }
  return mix32(x ^ Math.imul(s.length, GOLDEN))
}

/**
 * Turns any seed the user may give (an integer of any size, or a string) into 32 bits. Integers below 2^32 stay as
 * they are, so the seed a run prints can be passed back to repeat it.
 */
export function normalizeSeed(seed: number | string): number {
  if (typeof seed === 'string') return hashLabel(0, seed)
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`)
  const n = Math.trunc(Math.abs(seed))
  if (n < 0x100000000) return n
  // Fold the high bits in so that seeds above 2^32 still differ from each other.
  return mix32((n >>> 0) ^ mix32(Math.floor(n / 0x100000000)))
}

export class Rng {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A generator for one named choice, independent of every other label combination. */
  static derive(seed: number, ...labels: ReadonlyArray<string | number>): Rng {
    let h = mix32(seed ^ GOLDEN)
    for (const l of labels) h = hashLabel(h, l)
    return new Rng(h)
  }

  nextU32(): number {
    this.#state = (this.#state + GOLDEN) >>> 0
    return mix32(this.#state)
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x100000000
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`int(${min}, ${max}): max < min`)
    return min + Math.floor(this.next() * (max - min + 1))
  }

  fork(...labels: ReadonlyArray<string | number>): Rng {
    return Rng.derive(this.nextU32(), ...labels)
  }
}

/** A seed for runs that were not given one; printed so the run can be repeated. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0
}

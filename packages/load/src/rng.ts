/**
 * A small seeded PRNG (xorshift128, seeded through splitmix32) and seed derivation. Every random choice of a run
 * (sizes, cut points, payload bytes, arrival times) derives from the run's seed, so the same seed gives the same
 * workload against any server.
 */

/** splitmix32's finaliser: a good 32-bit mix of one word. */
export function mix32(x: number): number {
  let z = x >>> 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** A seed for a sub-stream, e.g. `deriveSeed(runSeed, uploadIndex, 2)`: independent of the order streams are used. */
export function deriveSeed(seed: number, ...labels: number[]): number {
  let h = mix32(seed ^ 0x6a09e667)
  for (const l of labels) h = mix32((h + Math.imul(l + 1, 0x9e3779b9)) >>> 0)
  return h
}

/** Accepts a decimal integer, or any other text (hashed), so `--seed nightly-7` works too. */
export function parseSeed(text: string): number {
  const t = text.trim()
  if (/^\d+$/.test(t)) return Number(BigInt(t) % 0x100000000n)
  let h = 0x811c9dc5
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0
      return mix32(s)
    }
    this.a = next() | 1
    this.b = next()
    this.c = next()
    this.d = next()
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = this.a ^ (this.a << 11)
    this.a = this.b
    this.b = this.c
    this.c = this.d
    this.d = (this.d ^ (this.d >>> 19) ^ t ^ (t >>> 8)) >>> 0
    return this.d
  }

  /** Uniform in [0, 1), 53 bits. */
  float(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    if (hi <= lo) return lo
    return lo + Math.floor(this.float() * (hi - lo + 1))
  }

  chance(p: number): boolean {
    return p > 0 && this.float() < p
  }

  /** Exponentially distributed with this mean (Poisson inter-arrival times). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.float()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float())
  }
}

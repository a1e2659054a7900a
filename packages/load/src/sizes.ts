/**
 * Upload-size distributions, as `--size` takes them:
 *   `1MiB`                       every upload has this size
 *   `256KiB-2MiB` (or `uniform:256KiB-2MiB`)   uniform between the two, inclusive
 *   `choice:64KiB,1MiB,10MiB`    one of these, equally likely
 *   `lognormal:1MiB,1.5`         log-normal with this median and sigma (of ln size), clamped to [1 B, 1 TiB]
 * Sizes are parsed by the caller's `parseSize` (the CLI's: `1048576`, `64KiB`, `5MiB`, `1GB`).
 */
import type { Rng } from './rng.js'

export type SizeDistribution =
  | { kind: 'fixed'; size: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'choice'; sizes: number[] }
  | { kind: 'lognormal'; median: number; sigma: number }

export class DistributionError extends Error {
  readonly code = 'ERR_SIZE_DISTRIBUTION'
}

const MAX_LOGNORMAL = 1024 ** 4

export function parseDistribution(text: string, parseSize: (s: string) => number): SizeDistribution {
  const t = text.trim()
  const colon = t.indexOf(':')
  const kind = colon >= 0 ? t.slice(0, colon).toLowerCase() : ''
  const rest = colon >= 0 ? t.slice(colon + 1) : t
  if (kind === 'choice') {
    const sizes = rest.split(',').map((s) => parseSize(s))
    if (sizes.length === 0) throw new DistributionError(`'${text}': choice needs at least one size`)
    return { kind: 'choice', sizes }
  }
  if (kind === 'lognormal') {
    const [median, sigma, extra] = rest.split(',')
    const s = Number(sigma)
    if (!median || sigma === undefined || extra !== undefined || !Number.isFinite(s) || s < 0)
      throw new DistributionError(`'${text}': expected lognormal:MEDIAN,SIGMA (e.g. lognormal:1MiB,1.5)`)
    return { kind: 'lognormal', median: Math.max(1, parseSize(median)), sigma: s }
  }
  if (kind !== '' && kind !== 'uniform' && kind !== 'fixed')
    throw new DistributionError(`'${text}': unknown distribution '${kind}' (fixed, uniform, choice, lognormal)`)
  const range = /^(.+?)\s*(?:-|\.\.)\s*(\d.*)$/.exec(rest)
  if (range) {
    const min = parseSize(range[1]!)
    const max = parseSize(range[2]!)
    if (max < min) throw new DistributionError(`'${text}': the maximum is below the minimum`)
    return min === max ? { kind: 'fixed', size: min } : { kind: 'uniform', min, max }
  }
  if (kind === 'uniform') throw new DistributionError(`'${text}': expected uniform:MIN-MAX`)
  return { kind: 'fixed', size: parseSize(rest) }
}

export function sampleSize(d: SizeDistribution, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return d.size
    case 'uniform':
      return rng.int(d.min, d.max)
    case 'choice':
      return d.sizes[rng.int(0, d.sizes.length - 1)]!
    case 'lognormal': {
      const v = Math.round(Math.exp(Math.log(d.median) + d.sigma * rng.normal()))
      return Math.min(MAX_LOGNORMAL, Math.max(1, v))
    }
  }
}

export function describeDistribution(d: SizeDistribution, format: (n: number) => string = String): string {
  switch (d.kind) {
    case 'fixed':
      return format(d.size)
    case 'uniform':
      return `uniform ${format(d.min)}–${format(d.max)}`
    case 'choice':
      return `one of ${d.sizes.map(format).join(', ')}`
    case 'lognormal':
      return `log-normal, median ${format(d.median)}, σ ${d.sigma}`
  }
}

/** `1.5 MiB`, `512 KiB`, `17 B`: binary units, for reports. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`
}

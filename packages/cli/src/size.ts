/** Sizes on the command line: `1048576`, `64KiB`, `5MiB`, `1GiB`, `10MB` (SI), case-insensitive. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
}

export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()]
  if (!m || unit === undefined) throw new UsageError(`invalid ${what} '${text}' (examples: 1048576, 64KiB, 5MiB, 1GB)`)
  const n = Math.round(Number(m[1]) * unit)
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} '${text}' is too large`)
  return n
}

export function parseInteger(text: string, what: string, min = 0): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`invalid ${what} '${text}': expected a whole number`)
  const n = Number(text)
  if (n < min) throw new UsageError(`${what} must be at least ${min}`)
  return n
}

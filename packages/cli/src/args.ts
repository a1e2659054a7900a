/**
 * The one way every `rufh` command reads its command line: flags through node:util's `parseArgs` (strict), values
 * through the parsers below (one rule for sizes, one for durations, integers, numbers, choices, URLs), and one shape
 * for usage errors, printed by `usageFailed` and exited with code 2:
 *
 *   rufh <command>: <what is wrong>
 *   usage: <synopsis> (rufh <command> --help lists the options)
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'

export const EXIT_USAGE = 2

/** A command line that cannot be run as written; `usageFailed` prints it and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
  override name = 'UsageError'
}

/** Said in every --help that takes a SIZE. */
export const SIZE_RULE =
  'SIZE is a byte count, or a number with a unit: k, K, KiB = 1024 bytes; KB, kB = 1000 (likewise M, MiB = 1024²;\n' +
  'MB = 1000²; G, GiB, GB; T, TiB, TB); case does not matter'

/** Said in every --help that takes a DURATION. */
export const DURATION_RULE = 'DURATION is seconds, or a number with a unit: 500ms, 30s, 2m (or 2min), 1h'

// k/K/KiB are binary and KB/kB decimal: "512k" is 524288 bytes wherever a size is read.
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
}

export interface Bounds {
  min?: number
  max?: number
}

function bounded(n: number, what: string, { min, max }: Bounds, unit = ''): number {
  if (min !== undefined && n < min) throw new UsageError(`${what} must be at least ${min}${unit}`)
  if (max !== undefined && n > max) throw new UsageError(`${what} must be at most ${max}${unit}`)
  return n
}

/** A size in bytes: `1048576`, `512k` (= 524288), `64KiB`, `1.5MiB`, `10MB` (= 10000000). */
export function parseSize(text: string, what: string, bounds: Bounds = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()]
  if (!m || unit === undefined) throw new UsageError(`invalid ${what} '${text}' (examples: 1048576, 512k, 64KiB, 10MB)`)
  const n = Number(m[1]) * unit
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(
      Number.isInteger(n) ? `${what} '${text}' is too large` : `${what} '${text}' is not a whole number of bytes`,
    )
  }
  return bounded(n, what, bounds, ' bytes')
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }

/** A duration in milliseconds: `30` (seconds), `30s`, `500ms`, `2m`, `1h`. */
export function parseDuration(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?\s*$/.exec(text)
  if (!m) throw new UsageError(`invalid ${what} '${text}' (examples: 30, 30s, 500ms, 2m, 1h)`)
  return Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000)
}

/** A duration that must be a whole number of seconds (≥ `min`), in seconds: `3600`, `60m`, `1h`. */
export function parseSeconds(text: string, what: string, min = 0): number {
  const ms = parseDuration(text, what)
  if (ms % 1000 !== 0) throw new UsageError(`${what} must be a whole number of seconds (got '${text}')`)
  return bounded(ms / 1000, what, { min }, ' s')
}

/** A whole number: `4`. */
export function parseInteger(text: string, what: string, bounds: Bounds = {}): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`invalid ${what} '${text}': expected a whole number`)
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} '${text}' is too large`)
  return bounded(n, what, bounds)
}

/** A decimal number: `0.25`. */
export function parseNumber(text: string, what: string, bounds: Bounds = {}): number {
  if (!/^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/.test(text))
    throw new UsageError(`invalid ${what} '${text}': expected a number`)
  return bounded(Number(text), what, bounds)
}

function alternatives(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
}

/** One of a few words: `--protocol ietf`. */
export function parseChoice<const T extends string>(text: string, what: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text))
    throw new UsageError(`${what} must be ${alternatives(choices)} (got '${text}')`)
  return text as T
}

/** An absolute URL with one of `schemes` (default http and https). */
export function parseUrl(text: string, what: string, schemes: readonly string[] = ['http', 'https']): URL {
  let u: URL | undefined
  try {
    u = new URL(text)
  } catch {}
  if (!u || !schemes.includes(u.protocol.slice(0, -1))) {
    const list = alternatives(schemes.map((s) => `${s}://`))
    throw new UsageError(`${what} takes ${/^[aeiouh]/.test(list) ? 'an' : 'a'} ${list} URL (got '${text}')`)
  }
  return u
}

/** `Name: value`, a request header given on the command line (name lower-cased). */
export function parseHeader(text: string, what: string): [string, string] {
  const i = text.indexOf(':')
  const name = text.slice(0, Math.max(0, i)).trim().toLowerCase()
  if (i <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))
    throw new UsageError(`${what} must look like 'Name: value' (got '${text}')`)
  return [name, text.slice(i + 1).trim()]
}

/** node:util `parseArgs` (strict unless told otherwise; no command here does), with its errors (unknown option, missing value, ...) as UsageErrors. */
export function parseFlags<const C extends ParseArgsConfig>(config: C): ReturnType<typeof parseArgs<C>> {
  try {
    return parseArgs(config)
  } catch (e) {
    if (String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((e as Error).message)
    throw e
  }
}

/** The line printed under every usage error. */
export function hintLine(command: string, synopsis: string): string {
  return `usage: ${synopsis} (rufh ${command} --help lists the options)`
}

/** Prints a UsageError in the one shape and returns exit code 2; anything else is not a usage error and is rethrown. */
export function usageFailed(
  command: string,
  synopsis: string,
  e: unknown,
  stderr: { write(s: string): unknown } = process.stderr,
): number {
  if (!(e instanceof UsageError)) throw e
  stderr.write(`rufh ${command}: ${e.message}\n${hintLine(command, synopsis)}\n`)
  return EXIT_USAGE
}

/**
 * Structured Field values (RFC 9651) used by the draft, read with the `structured-headers` package.
 * Each reader returns `undefined` for an absent or invalid value: from draft-09 on, "other values MUST cause the
 * entire header field to be ignored", and earlier drafts give no other rule, so every version ignores them.
 */
import {
  type Dictionary,
  type Item,
  parseDictionary,
  parseItem,
  serializeBoolean,
  serializeDictionary,
  serializeInteger,
} from 'structured-headers'

/** SF Integers are at most 15 digits (RFC 9651 §3.3.1); JavaScript numbers hold them exactly. */
const MAX_SF_INTEGER = 999_999_999_999_999

function item(raw: string | null | undefined): Item | undefined {
  if (raw === null || raw === undefined) return undefined
  try {
    return parseItem(raw)
  } catch {
    return undefined
  }
}

/** A non-negative SF Integer (parameters ignored), or undefined. A Decimal such as `5.0` is not an Integer. */
export function readInteger(raw: string | null | undefined): number | undefined {
  const it = item(raw)
  if (!it) return undefined
  const v = it[0]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return undefined
  // structured-headers returns 5 for both "5" and "5.0": tell them apart by the bare item's text.
  const bare = raw!.split(';', 1)[0]!.trim()
  if (!/^\d+$/.test(bare)) return undefined
  return v
}

/** An SF Boolean (`?0`/`?1`, parameters ignored), or undefined. */
export function readBoolean(raw: string | null | undefined): boolean | undefined {
  const it = item(raw)
  if (!it || typeof it[0] !== 'boolean') return undefined
  return it[0]
}

/**
 * An SF Dictionary whose values are all Integers, or undefined when it does not parse. Members whose value is not an
 * Integer are reported in `invalid` so that each version can apply its own rule (ignore the member, or the field).
 */
export function readIntegerDictionary(
  raw: string | null | undefined,
): { values: Map<string, number>; invalid: string[] } | undefined {
  if (raw === null || raw === undefined) return undefined
  let dict: Dictionary
  try {
    dict = parseDictionary(raw)
  } catch {
    return undefined
  }
  const values = new Map<string, number>()
  const invalid: string[] = []
  for (const [key, member] of dict) {
    const v = member[0]
    const decimal = new RegExp(`(^|[,\\s])${key}=-?\\d+\\.`).test(raw)
    if (typeof v === 'number' && Number.isInteger(v) && !decimal) values.set(key, v)
    else invalid.push(key)
  }
  return { values, invalid }
}

export function writeInteger(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SF_INTEGER) throw new RangeError(`not a valid SF Integer: ${n}`)
  return serializeInteger(n)
}

export function writeBoolean(b: boolean): string {
  return serializeBoolean(b)
}

export function writeIntegerDictionary(entries: Iterable<[string, number]>): string {
  const obj: Record<string, number> = {}
  for (const [k, v] of entries) obj[k] = v
  return serializeDictionary(obj)
}

export { MAX_SF_INTEGER }

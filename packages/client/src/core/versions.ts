/**
 * Interop version choice. The draft has no negotiation (spec notes §4.14): the interop header only gates 104s. So the
 * client tries the newest version first and steps down when the server says it does not speak it — a rufh server lists
 * the versions it speaks in the problem details of its refusal (`supported`); other servers just refuse.
 */
import { type Codec, codecFor, codecs, type InteropVersion } from '@rufh/protocol'

export type InteropPreference = InteropVersion | readonly InteropVersion[] | 'auto'

/** The versions to try, newest first. */
export function candidateCodecs(pref: InteropPreference): Codec[] {
  if (pref === 'auto') return [...codecs].reverse()
  const wanted = typeof pref === 'number' ? [pref] : [...pref].sort((a, b) => b - a)
  const out: Codec[] = []
  for (const v of wanted) {
    const c = codecFor(v)
    if (!c) throw new RangeError(`interop version ${v} is not supported (supported: 3-10)`)
    if (!out.includes(c)) out.push(c)
  }
  if (out.length === 0) throw new RangeError('no interop version to try')
  return out
}

/** The `supported` member of a rufh problem (a list of integers), when present. */
export function supportedFrom(problem: Record<string, unknown> | undefined): number[] | undefined {
  const s = problem?.['supported']
  if (!Array.isArray(s)) return undefined
  const nums = s.filter((n): n is number => typeof n === 'number' && Number.isInteger(n))
  return nums.length ? nums : undefined
}

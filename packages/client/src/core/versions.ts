/**
 * Protocol version choice. The draft has no negotiation (spec notes §4.14): the interop header only gates 104s. So the
 * client tries the newest version first and steps down when the server says it does not speak it — a rufh server lists
 * the versions it speaks in the problem details of its refusal (`supported`); other servers just refuse. tus 1.0 is
 * the last resort (a tus-only server answers draft requests with 412 and `Tus-Version`).
 */
import { type Codec, codecFor, codecs, type InteropVersion, type ProtocolCodec, tusV1 } from '@rufh/protocol'

/** An interop version of the draft, or tus 1.0.0. */
export type ProtocolVersion = InteropVersion | 'tus'
export type InteropPreference = ProtocolVersion | readonly ProtocolVersion[] | 'auto'

/** The versions to try, newest draft first, tus last. */
export function candidateCodecs(pref: InteropPreference): ProtocolCodec[] {
  if (pref === 'auto') return [...[...codecs].reverse(), tusV1]
  const wanted = typeof pref === 'number' || pref === 'tus' ? [pref] : [...pref]
  const out: ProtocolCodec[] = []
  for (const v of wanted) {
    const c = v === 'tus' ? tusV1 : codecFor(v)
    if (!c) throw new RangeError(`interop version ${v} is not supported (supported: 3-10, or 'tus')`)
    if (!out.includes(c)) out.push(c)
  }
  if (out.length === 0) throw new RangeError('no interop version to try')
  return out.sort((a, b) => rank(b) - rank(a))
}

function rank(c: ProtocolCodec): number {
  return isDraft(c) ? c.interop : 0
}

export function isDraft(c: ProtocolCodec): c is Codec {
  return c.protocol === 'ietf-draft'
}

/** The interop version of a draft codec; undefined for tus. */
export function interopOf(c: ProtocolCodec): InteropVersion | undefined {
  return isDraft(c) ? c.interop : undefined
}

/** I9+: `Upload-Complete` on creation/append responses tells whether the target resource answered (draft -12 §4). */
export function targetSemantics(c: ProtocolCodec): boolean {
  return isDraft(c) && c.interop >= 9
}

/** The codec a persisted record names (`interop-6`, `tus-1.0.0`). */
export function codecByName(name: string): ProtocolCodec | undefined {
  return name === tusV1.name ? tusV1 : codecs.find((c) => c.name === name)
}

/** The `supported` member of a rufh problem (a list of integers), when present. */
export function supportedFrom(problem: Record<string, unknown> | undefined): number[] | undefined {
  const s = problem?.['supported']
  if (!Array.isArray(s)) return undefined
  const nums = s.filter((n): n is number => typeof n === 'number' && Number.isInteger(n))
  return nums.length ? nums : undefined
}

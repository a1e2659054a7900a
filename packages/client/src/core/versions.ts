/**
 * Protocol version choice. The draft has no negotiation (spec notes §4.14): the interop header only gates 104s. So the
 * client tries the newest version first and steps down when the server says it does not speak it — a rufh server lists
 * the versions it speaks in the problem details of its refusal (`supported`); other servers just refuse. tus 1.0 is
 * the last resort (a tus-only server answers draft requests with 412 and `Tus-Version`).
 */
import {
  codecFor,
  codecs,
  type InteropVersion,
  isDraftCodec,
  type ProtocolCodec,
  supportedInterop,
  tusV1,
} from '@rufh/protocol'

/** An interop version of the draft, or tus 1.0.0. */
export type ProtocolVersion = InteropVersion | 'tus'
export type InteropPreference = ProtocolVersion | readonly ProtocolVersion[] | 'auto'

const supportedList = `${supportedInterop[0]}-${supportedInterop.at(-1)}`

/** The versions to try, newest draft first, tus last. */
export function candidateCodecs(pref: InteropPreference): ProtocolCodec[] {
  if (pref === 'auto') return [...[...codecs].reverse(), tusV1]
  const wanted = typeof pref === 'number' || pref === 'tus' ? [pref] : [...pref]
  const out: ProtocolCodec[] = []
  for (const v of wanted) {
    const c = v === 'tus' ? tusV1 : codecFor(v)
    if (!c) throw new RangeError(`interop version ${v} is not supported (supported: ${supportedList}, or 'tus')`)
    if (!out.includes(c)) out.push(c)
  }
  if (out.length === 0) throw new RangeError('no interop version to try')
  return out.sort((a, b) => rank(b) - rank(a))
}

/** Whether a codec speaks the draft (the protocol package's type guard). */
export const isDraft = isDraftCodec

function rank(c: ProtocolCodec): number {
  return isDraft(c) ? c.interop : 0
}

/** The interop version of a draft codec; undefined for tus. */
export function interopOf(c: ProtocolCodec): InteropVersion | undefined {
  return isDraft(c) ? c.interop : undefined
}

/** The codec a persisted record names (`interop-6`, `tus-1.0.0`). */
export function codecByName(name: string): ProtocolCodec | undefined {
  return name === tusV1.name ? tusV1 : codecs.find((c) => c.name === name)
}

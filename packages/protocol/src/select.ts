/** Picks the codec for a request from `Upload-Draft-Interop-Version` (draft-01 §A: "Draft Interop Version"). */
import type { Codec, ProtocolCodec } from './codec.js'
import { codecs as allCodecs } from './codecs/index.js'
import { TusVersionError, UnsupportedVersionError } from './errors.js'
import { Field, type HeaderReader } from './fields.js'
import { readInteger } from './sf.js'

export interface Selection {
  codec: ProtocolCodec
  /**
   * Whether the request named this version. Servers MUST NOT send a 104 when the header is missing or names another
   * version (every draft's interop appendix); a request without the header is served with the newest codec but never
   * sees a 104.
   */
  interimAllowed: boolean
}

/**
 * `available` lists the draft codecs a server speaks, oldest first (default: all of them); `tus` is the tus 1.0 codec
 * when the server speaks tus too. A request naming an interop version is a draft request; one carrying
 * `Tus-Resumable` is a tus request; one carrying neither is served with the newest draft codec.
 */
export function selectCodec(h: HeaderReader, available: readonly Codec[] = allCodecs, tus?: ProtocolCodec): Selection {
  const newest = available[available.length - 1]
  if (!newest) throw new RangeError('no codecs')
  const raw = h.get(Field.interopVersion)
  const tusVersion = h.get('tus-resumable')
  if ((raw === null || raw === undefined) && tus && tusVersion !== null && tusVersion !== undefined) {
    if (tusVersion.trim() !== '1.0.0') throw new TusVersionError(tusVersion)
    return { codec: tus, interimAllowed: false }
  }
  if (raw === null || raw === undefined) return { codec: newest, interimAllowed: false }
  const v = readInteger(raw)
  const codec = v === undefined ? undefined : available.find((c) => c.interop === v)
  if (!codec)
    throw new UnsupportedVersionError(
      raw,
      available.map((c) => c.interop),
    )
  return { codec, interimAllowed: true }
}

import type { Codec, InteropVersion, ProtocolCodec } from '../codec.js'
import { Interop3 } from './interop-3.js'
import { Interop4 } from './interop-4.js'
import { Interop5 } from './interop-5.js'
import { Interop6 } from './interop-6.js'
import { Interop7 } from './interop-7.js'
import { Interop8 } from './interop-8.js'
import { Interop9 } from './interop-9.js'
import { Interop10 } from './interop-10.js'

/** Every supported interop version, oldest first. Adding a version = adding its codec here. */
export const codecs: readonly Codec[] = [
  new Interop3(),
  new Interop4(),
  new Interop5(),
  new Interop6(),
  new Interop7(),
  new Interop8(),
  new Interop9(),
  new Interop10(),
]

export const supportedInterop: readonly InteropVersion[] = codecs.map((c) => c.interop)

export function codecFor(interop: number): Codec | undefined {
  return codecs.find((c) => c.interop === interop)
}

/** The newest codec: used for requests that carry no interop version (as an RFC-era client would send). */
export const newestCodec: Codec = codecs[codecs.length - 1]!

export { readContentLength } from './interop-3.js'
export { Interop3, Interop4, Interop5, Interop6, Interop7, Interop8, Interop9, Interop10 }

/** Whether a codec speaks the IETF draft (it then has an interop version), as opposed to tus 1.0. */
export function isDraftCodec(c: ProtocolCodec): c is Codec {
  return c.protocol === 'ietf-draft'
}

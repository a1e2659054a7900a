/**
 * Which codec speaks to the target: an IETF draft interop version, or tus 1.0. The load tester needs only the
 * client side of a codec, so it names that subset here; `@rufh/protocol`'s codecs satisfy it structurally.
 */
import * as protocol from '@rufh/protocol'
import { codecFor, type Fields, type HeaderReader, type ResponseInfo, supportedInterop } from '@rufh/protocol'

export type ProtocolName = 'ietf' | 'tus-v1'

export interface ClientCodec {
  /** Methods that retrieve the offset; the first one is used. */
  readonly retrievalMethods: readonly string[]
  creationFields(req: { complete: boolean; length?: number | undefined }): Fields
  appendFields(req: { offset: number; complete: boolean; length?: number | undefined }): Fields
  requestFields(): Fields
  readResponse(h: HeaderReader): ResponseInfo
}

export interface Speaker {
  protocol: ProtocolName
  /** `interop-9`, `tus-1.0.0`: for reports. */
  name: string
  interop: number | undefined
  codec: ClientCodec
  /** tus: an upload completes when its offset reaches its length; the drafts: only a completing request does. */
  completesAtLength: boolean
  /** Fields a creation request needs when it carries content (tus creation-with-upload: the body's media type). */
  creationBodyFields: Fields
}

export class CodecUnavailableError extends Error {
  readonly code = 'ERR_CODEC_UNAVAILABLE'
}

function isClientCodec(v: unknown): v is ClientCodec {
  const c = v as Partial<ClientCodec> | undefined
  return (
    typeof c === 'object' &&
    c !== null &&
    Array.isArray(c.retrievalMethods) &&
    typeof c.creationFields === 'function' &&
    typeof c.appendFields === 'function' &&
    typeof c.requestFields === 'function' &&
    typeof c.readResponse === 'function'
  )
}

/** The newest interop version @rufh/protocol speaks: the default of `--interop`. */
export const newestInterop: number = supportedInterop[supportedInterop.length - 1] ?? 9

export function speakerFor(name: ProtocolName, interop?: number): Speaker {
  if (name === 'tus-v1') {
    // Looked up at run time: the tus codec is a later addition to @rufh/protocol.
    const tus = (protocol as Record<string, unknown>)['tusV1']
    if (!isClientCodec(tus))
      throw new CodecUnavailableError('--protocol tus-v1 is not available yet: @rufh/protocol has no tus 1.0 codec')
    return {
      protocol: 'tus-v1',
      name: 'tus-1.0.0',
      interop: undefined,
      codec: tus,
      completesAtLength: true,
      creationBodyFields: { 'content-type': 'application/offset+octet-stream' },
    }
  }
  const v = interop ?? newestInterop
  const codec = codecFor(v)
  if (!codec)
    throw new CodecUnavailableError(`interop version ${v} is not supported (supported: ${supportedInterop.join(', ')})`)
  return {
    protocol: 'ietf',
    name: `interop-${v}`,
    interop: v,
    codec,
    completesAtLength: false,
    creationBodyFields: {},
  }
}

/** Adapts node:http's header object to the codecs' `HeaderReader`. */
export function headerReader(h: Record<string, string | string[] | undefined>): HeaderReader {
  return {
    get(name: string) {
      const v = h[name.toLowerCase()]
      return Array.isArray(v) ? v.join(', ') : v
    },
  }
}

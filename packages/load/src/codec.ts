/**
 * Which codec speaks to the target: an IETF draft interop version, or tus 1.0. The load tester needs only the
 * client side of a codec, so it names that subset here; `@rufh/protocol`'s codecs satisfy it structurally. Every
 * wire fact (field names, media types, when an upload completes) comes from the codec.
 */
import { codecFor, type Fields, type HeaderReader, type ResponseInfo, supportedInterop, tusV1 } from '@rufh/protocol'

export type ProtocolName = 'ietf' | 'tus-v1'

export interface ClientCodec {
  /** `interop-9`, `tus-1.0.0`. */
  readonly name: string
  /** Methods that retrieve the offset; the first one is used. */
  readonly retrievalMethods: readonly string[]
  /** tus: an upload completes when its offset reaches its length; the drafts: only a completing request does. */
  readonly completesAtLength: boolean
  creationFields(req: { complete: boolean; length?: number | undefined }): Fields
  /** Fields a creation request needs when it carries content (tus creation-with-upload: the body's media type). */
  creationContentFields(): Fields
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

/** The newest interop version @rufh/protocol speaks: the default of `--interop`. */
export const newestInterop: number = supportedInterop[supportedInterop.length - 1] ?? 9

function speaker(protocol: ProtocolName, interop: number | undefined, codec: ClientCodec): Speaker {
  return {
    protocol,
    name: codec.name,
    interop,
    codec,
    completesAtLength: codec.completesAtLength,
    creationBodyFields: codec.creationContentFields(),
  }
}

export function speakerFor(name: ProtocolName, interop?: number): Speaker {
  if (name === 'tus-v1') return speaker('tus-v1', undefined, tusV1)
  const v = interop ?? newestInterop
  const codec = codecFor(v)
  if (!codec)
    throw new CodecUnavailableError(`interop version ${v} is not supported (supported: ${supportedInterop.join(', ')})`)
  return speaker('ietf', v, codec)
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

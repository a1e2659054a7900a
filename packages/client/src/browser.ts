/**
 * Browser entry. Browsers never expose 104 responses, so uploads use careful creation (an empty creation request
 * returns the upload URL before any content is at risk) and XHR (for upload progress). Unfinished uploads are
 * remembered in localStorage, keyed by endpoint and File identity.
 */
import type { UploadOptions, UploadResult } from './core/options.js'
import type { Source, Transport } from './core/types.js'
import { Upload } from './core/upload.js'
import { UploadError } from './errors.js'
import { BlobSource } from './sources/blob.js'
import { BytesSource } from './sources/bytes.js'
import { webStreamSource } from './sources/web-stream.js'
import { defaultBrowserStore } from './state/local-storage.js'
import { XhrTransport } from './transports/xhr.js'

export * from './common.js'
export { LocalStorageStore } from './state/local-storage.js'
export { type XhrOptions, XhrTransport } from './transports/xhr.js'

export type BrowserInput = Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>

export interface BrowserUploadOptions extends UploadOptions {
  /** Default: `XhrTransport`. */
  transport?: Transport | undefined
  /** The length of a ReadableStream input, when known. */
  size?: number | undefined
}

export function toSource(input: BrowserInput, size?: number): Source {
  if (input instanceof Blob) return new BlobSource(input)
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return new BytesSource(input)
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) return webStreamSource(input, size)
  throw new UploadError(
    'ERR_SOURCE',
    'unsupported input: expected a Blob, File, ArrayBuffer, typed array or ReadableStream',
  )
}

/** Prepares an upload; call `start()` on it. */
export function createUpload(input: BrowserInput, options: BrowserUploadOptions): Upload {
  const source = toSource(input, options.size)
  const file = input as { name?: unknown; type?: unknown }
  const store = options.store === false ? undefined : (options.store ?? defaultBrowserStore())
  return new Upload(
    source,
    {
      ...options,
      store,
      filename: options.filename ?? (typeof file.name === 'string' ? file.name : undefined),
      contentType: options.contentType ?? (typeof file.type === 'string' && file.type ? file.type : undefined),
    },
    { transport: options.transport ?? new XhrTransport() },
  )
}

/** Uploads and resolves when done. */
export function upload(input: BrowserInput, options: BrowserUploadOptions): Promise<UploadResult> {
  return createUpload(input, options).start()
}

/**
 * Node entry. Uploads go over `node:http`/`node:https`, which see 104 responses: creation is optimistic (the content
 * goes out at once, the upload URL comes from the 104), and resumes after any interruption. Files are streamed from
 * disk, so memory stays flat whatever their size.
 */
import { Readable } from 'node:stream'
import type { UploadOptions, UploadResult } from './core/options.js'
import type { Source, Transport } from './core/types.js'
import { Upload } from './core/upload.js'
import { UploadError } from './errors.js'
import { BlobSource } from './sources/blob.js'
import { BytesSource } from './sources/bytes.js'
import { FileSource } from './sources/file.js'
import { nodeStreamSource } from './sources/node-stream.js'
import { webStreamSource } from './sources/web-stream.js'
import { FileStore } from './state/file-store.js'
import { NodeHttpTransport } from './transports/node-http.js'

export * from './common.js'
export { FileSource } from './sources/file.js'
export { nodeStreamSource } from './sources/node-stream.js'
export { FileStore } from './state/file-store.js'
export { headerReader, type NodeHttpOptions, NodeHttpTransport } from './transports/node-http.js'
export { type NodeHttp2Options, NodeHttp2Transport } from './transports/node-http2.js'

/** A file path, a Node Readable, a Blob/File, bytes, or a WHATWG ReadableStream. */
export type UploadInput = string | Readable | Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>

export interface NodeUploadOptions extends UploadOptions {
  /** Default: a shared keep-alive `NodeHttpTransport`. */
  transport?: Transport | undefined
  /** Remember unfinished uploads in this directory (a `FileStore`), unless `store` is given. */
  stateDir?: string | undefined
  /** The length of a stream input, when known (then every request can declare `Upload-Length`). */
  size?: number | undefined
}

let sharedTransport: NodeHttpTransport | undefined

export async function toSource(input: UploadInput, size?: number): Promise<Source> {
  if (typeof input === 'string') return FileSource.open(input)
  if (input instanceof Readable) return nodeStreamSource(input, size)
  if (input instanceof Blob) return new BlobSource(input)
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return new BytesSource(input)
  if (input instanceof ReadableStream) return webStreamSource(input, size)
  throw new UploadError('ERR_SOURCE', 'unsupported input: expected a path, Readable, Blob, bytes or ReadableStream')
}

/** Opens the source and prepares an upload; call `start()` on it. */
export async function createUpload(input: UploadInput, options: NodeUploadOptions): Promise<Upload> {
  const source = await toSource(input, options.size)
  const store =
    options.store === false
      ? undefined
      : (options.store ?? (options.stateDir ? new FileStore(options.stateDir) : undefined))
  sharedTransport ??= new NodeHttpTransport()
  const transport = options.transport ?? sharedTransport
  return new Upload(source, { ...options, store }, { transport })
}

/** Uploads and resolves when done. */
export async function upload(input: UploadInput, options: NodeUploadOptions): Promise<UploadResult> {
  return (await createUpload(input, options)).start()
}

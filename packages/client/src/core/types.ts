/**
 * The three seams of the client: where bytes come from (`Source`), how a request travels (`Transport`), and where the
 * state of an unfinished upload is kept between runs (`StateStore`). The core only sees these interfaces, so it runs
 * unchanged in Node and in browsers.
 */
import type { HeaderReader } from '@rufh/protocol'

/** The content of one request. Its size is always known, so every request carries `Content-Length`. */
export interface Body {
  readonly size: number
  /** The bytes as a Blob, when the source is Blob-backed: XHR and fetch send it without reading it into memory. */
  blob?(): Blob
  /**
   * The bytes as a fresh sequence of chunks, read lazily and written without copying. Node transports pipe it with
   * backpressure (a Node `Readable` is such an iterable too).
   */
  chunks(): AsyncIterable<Uint8Array>
  /**
   * Node: the bytes are this range of a file on disk. Node transports then read it themselves into a few reused
   * buffers instead of iterating `chunks()`, which allocates a fresh buffer per read.
   */
  fileRange?(): FileRange
}

/** Bytes `start` (inclusive) to `end` (exclusive) of the file at `path`. */
export interface FileRange {
  readonly path: string
  readonly start: number
  readonly end: number
}

export interface Slice {
  body: Body
  /** The slice ends the source: the request carrying it completes the upload. */
  last: boolean
}

/** Where an upload's bytes come from. Memory use is bounded by the largest slice asked for, whatever the total size. */
export interface Source {
  /** Total size, when known (a stream learns it only at its end). */
  readonly size: number | undefined
  /** Whether any offset can be read again (files, Blobs, byte arrays). Streams keep only the unacknowledged bytes. */
  readonly seekable: boolean
  /** A stable identity for resuming across restarts (path + size + mtime, File name + size + lastModified, …). */
  fingerprint(): Promise<string | undefined>
  /** Up to `max` bytes from `start` (fewer at the end). Throws `ERR_SOURCE` when a stream is asked to rewind. */
  slice(start: number, max: number): Promise<Slice>
  /** The bytes before `offset` will never be asked for again. */
  release(offset: number): void
  close(): Promise<void>
}

export interface TransportRequest {
  method: string
  url: string
  /** Lower-case names. `Content-Length` is set by the transport from `body`. */
  headers: Record<string, string>
  body?: Body | undefined
  signal: AbortSignal
  /** Interim (1xx) responses, on transports that can see them. */
  onInterim?: ((status: number, headers: HeaderReader) => void) | undefined
  /** Bytes of `body` handed to the network so far (monotonic). */
  onProgress?: ((sent: number) => void) | undefined
}

export interface TransportResponse {
  status: number
  headers: HeaderReader
  /** The response content as text (only small bodies matter: problem details, the target's answer). */
  body: string
}

export interface Transport {
  /** Whether interim responses (104) are visible: decides optimistic vs careful creation. */
  readonly interim: boolean
  /** Sends one request. Network failures reject with a `NetworkError`; an abort rejects with `signal.reason`. */
  request(req: TransportRequest): Promise<TransportResponse>
}

/** What is persisted about an unfinished upload. */
export interface StoredUpload {
  /** The upload resource (absolute URL). */
  url: string
  /** The codec's name (`interop-6`, `tus-1.0.0`). */
  protocol: string
  endpoint: string
  size: number | undefined
  createdAt: number
  /** Epoch milliseconds, from `max-age`/`expires`, when the server may drop the upload. */
  expiresAt?: number | undefined
}

/** What `interop: 'auto'` found an endpoint to speak (the discovery cache). */
export interface KnownVersion {
  /** The codec's name (`interop-8`, `tus-1.0.0`). */
  protocol: string
  /** Epoch milliseconds of the upload that found it. */
  checkedAt: number
}

/**
 * Async key/value storage for unfinished uploads, keyed by endpoint + source fingerprint. The version methods are
 * optional: a store without them makes `auto` discover the version for every upload.
 */
export interface StateStore {
  get(key: string): Promise<StoredUpload | undefined>
  set(key: string, value: StoredUpload): Promise<void>
  remove(key: string): Promise<void>
  /** The version `auto` found at `endpoint` (absolute URL), if remembered. */
  getVersion?(endpoint: string): Promise<KnownVersion | undefined>
  /** Remembers (or, with `undefined`, forgets) the version `auto` found at `endpoint`. */
  setVersion?(endpoint: string, value: KnownVersion | undefined): Promise<void>
}

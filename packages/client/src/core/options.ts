import type { HeaderReader } from '@rufh/protocol'
import type { RetryPolicy } from './retry.js'
import type { StateStore } from './types.js'
import type { InteropPreference } from './versions.js'

/**
 * - `optimistic`: the creation request carries the content at once; the upload URL comes from the 104 (needs a
 *   transport that sees interim responses, i.e. Node).
 * - `careful`: an empty creation request first, then appends (draft-05 §"upload strategies"; browsers).
 * - `auto` (default): optimistic when the transport sees 104s, careful otherwise.
 */
export type CreationMode = 'optimistic' | 'careful' | 'auto'

export interface UploadOptions {
  /** The target resource that accepts creation requests. */
  endpoint: string
  /**
   * An interop version (3-10), `'tus'` (tus 1.0.0), a list of them, or `auto` (default): the newest the server speaks,
   * learned from its answers, with tus 1.0 as the last resort.
   */
  interop?: InteropPreference | undefined
  creation?: CreationMode | undefined
  /**
   * The most content one request carries. Default: no cap for files, Blobs and byte arrays (one request), 8 MiB for
   * streams (their unacknowledged bytes are held in memory). The server's `Upload-Limit` narrows it further.
   */
  chunkSize?: number | undefined
  /** Method of the creation request (POST). */
  method?: string | undefined
  /** Extra header fields on every request (e.g. authorization). Lower-case names are safest. */
  headers?: Record<string, string> | undefined
  /** `Content-Type` of the representation, sent on creation. */
  contentType?: string | undefined
  /** Sent as `Content-Disposition: inline; filename=…` on creation (draft-11 recommendation). */
  filename?: string | undefined
  /** `false` disables retries. */
  retry?: Partial<RetryPolicy> | false | undefined
  /** Where unfinished uploads are remembered; `false` or undefined: not at all. */
  store?: StateStore | false | undefined
  /** Overrides the source's fingerprint (needed for stream sources to resume across restarts). */
  fingerprint?: string | undefined
  /** Ask the server with OPTIONS first (versions, limits). Default: true when `interop` is `auto`. */
  discover?: boolean | undefined
  /** Aborts the upload (without cancelling it on the server). */
  signal?: AbortSignal | undefined
  onProgress?: ((p: Progress) => void) | undefined
}

export interface Progress {
  /** Bytes handed to the network (may run ahead of what the server keeps). */
  sent: number
  /** Bytes the server confirmed (final responses, progress 104s, offset retrievals). */
  acked: number
  total: number | undefined
}

export type UploadStatus = 'idle' | 'running' | 'paused' | 'completed' | 'failed' | 'aborted'

export interface UploadEvents {
  progress: Progress
  /** The upload resource is known (from a 104, a creation response, or persisted state). */
  url: { url: string }
  /** An upload remembered from an earlier run continues at `offset` (after its offset retrieval). */
  resumed: { url: string; offset: number }
  /** The protocol version in use (again when the client steps down to an older one). */
  version: { interop: number | undefined; protocol: string }
  /** A transient failure; the next attempt starts after `delay` ms. */
  retry: { attempt: number; delay: number; error: Error }
  status: { status: UploadStatus }
}

export interface UploadResult {
  /** The upload resource, when the server created one (a server without resumable support may just take the body). */
  url: string | undefined
  /**
   * Whether an upload resource was made. `false`: the server answered with success but took the content as an
   * ordinary request (it does not speak the version used): nothing can be resumed, and whether it kept the bytes is
   * up to the target resource (its answer is in `response`). Only an explicitly chosen version or a remembered one
   * can end so; `auto` guesses with empty requests.
   */
  resumable: boolean
  /** The interop version used, or undefined for tus 1.0. */
  interop: number | undefined
  /** The codec's name: `interop-10`, …, `tus-1.0.0`. */
  protocol: string
  size: number
  /** The final response (the target resource's answer), or undefined when completion was learned by retrieval. */
  response: { status: number; headers: HeaderReader; body: string } | undefined
}

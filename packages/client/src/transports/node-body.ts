/**
 * Sends a request body to a Node writable (an http.ClientRequest or an HTTP/2 stream) with backpressure, counting
 * bytes for progress. A file range is read into reused buffers (node-file-body.ts); a Node Readable is piped; any
 * other async iterable is written chunk by chunk. Shared by the HTTP/1.1 and HTTP/2 transports.
 */
import type { Readable, Writable } from 'node:stream'
import type { Body } from '../core/types.js'
import { UploadError } from '../errors.js'
import { sendFileRange } from './node-file-body.js'

export interface BodyHooks {
  progress?: ((sent: number) => void) | undefined
  /** Every byte was handed to the sink (and the sink was ended). */
  ended(): void
  failed(error: unknown): void
}

function isReadable(x: unknown): x is Readable {
  return typeof (x as { pipe?: unknown }).pipe === 'function' && typeof (x as { on?: unknown }).on === 'function'
}

/**
 * Starts sending; returns a function that stops sending (the request is then cut by its caller). `fileReadSize`: the
 * bytes per read of a file body (node-file-body.ts says why they differ by transport).
 */
export function sendBody(body: Body, sink: Writable, what: string, hooks: BodyHooks, fileReadSize: number): () => void {
  const range = body.fileRange?.()
  if (range) return sendFileRange(range, sink, what, hooks, fileReadSize)
  const chunks = body.chunks()
  let sent = 0
  if (isReadable(chunks)) {
    chunks.on('data', (c: Uint8Array) => {
      sent += c.byteLength
      hooks.progress?.(sent)
    })
    chunks.on('end', () => hooks.ended())
    chunks.on('error', (e) =>
      hooks.failed(new UploadError('ERR_SOURCE', `${what}: reading the body failed: ${e.message}`, { cause: e })),
    )
    chunks.pipe(sink)
    return () => {
      chunks.unpipe(sink)
      chunks.destroy()
    }
  }
  let stopped = false
  const write = async () => {
    for await (const c of chunks) {
      if (stopped) return
      sent += c.byteLength
      if (!sink.write(c)) await drained(sink)
      hooks.progress?.(sent)
    }
    hooks.ended()
    if (!stopped) sink.end()
  }
  write().catch((e: unknown) => hooks.failed(e))
  return () => {
    stopped = true
  }
}

/** Resolves on 'drain', or when the sink closes (then the next write fails and 'error' reports why). */
function drained(sink: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done)
      sink.off('close', done)
      resolve()
    }
    sink.on('drain', done)
    sink.on('close', done)
  })
}

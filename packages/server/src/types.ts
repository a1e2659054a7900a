import type { Fields, HeaderReader, Reply } from '@rufh/protocol'

/** A request as the core sees it, whatever the runtime: adapters build it from node:http, node:http2 or fetch. */
export interface UploadRequest {
  method: string
  /** Absolute URL; its origin is used for `Location`. */
  url: URL
  headers: HeaderReader
  body: AsyncIterable<Uint8Array> | undefined
  /** Aborts when the client goes away before the response is sent. */
  signal: AbortSignal
  /**
   * The body itself fails, or closes before its end, when the client goes away (a Node stream): reading it needs no
   * listener on `signal`, which the adapter then makes only when something asks for it (an AbortSignal costs about
   * 0.7 KB, per held upload; issue 17).
   */
  bodyReportsClient?: boolean
  /**
   * Every chunk the body yields is a buffer of its own that nothing else refers to (Node's HTTP/1.1 parser copies each
   * body chunk into a new one), so whoever consumes a chunk last may free its memory at once (stores/release.ts).
   */
  bodyChunksOwned?: boolean
}

/** Where the core sends `104 (Upload Resumption Supported)`. Runtimes that cannot send 1xx pass none. */
export interface InterimSink {
  send(fields: Fields): void
}

export interface HandlerReply extends Reply {
  /** A streamed body (downloads); `headers['content-length']` gives its length. */
  stream?: AsyncIterable<Uint8Array>
  /** Close the connection after the response: the request body was not read to its end. */
  close?: boolean
}

/**
 * The creation request's head, handed from the gateway's request handler to its stores: the core's Store contract
 * passes no request, and the head must be recorded at the moment the upload is created (so that no crash can leave an
 * upload without it). The handler files the head under the node request; a preCreate gate, which the core awaits with
 * the very `NewUpload` object it then gives to `store.create` (and `concatenate`), finds it through the request's body
 * (the node adapter's body is the node request itself) and files it under that object for the store.
 *
 * Not AsyncLocalStorage: on Node 20 the first `run()` turns on async hooks for the whole process, and from then on
 * every promise and every socket write of every body chunk paid for them (stream mode: `node:internal/async_hooks`
 * was the largest JS item of a 1 GiB upload's profile, docs/benchmarks.md).
 */
import type { NewUpload, UploadEvents } from '@rufh/server'
import type { RequestHead } from './head.js'

const byRequest = new WeakMap<object, RequestHead>()
const byUpload = new WeakMap<NewUpload, RequestHead>()

/** Files the head of a client request the core is about to handle. */
export function fileHead(req: object, head: RequestHead): void {
  byRequest.set(req, head)
}

/** Ties each new upload to its creation request's head, for `creationHead`. */
export function tieHeads(events: UploadEvents): void {
  events.onPreCreate((upload, request) => {
    const head = request?.body ? byRequest.get(request.body) : undefined
    if (head) byUpload.set(upload, head)
  })
}

/** The head of the request that is creating `upload` (undefined outside a client request). */
export function creationHead(upload: NewUpload): RequestHead | undefined {
  return byUpload.get(upload)
}

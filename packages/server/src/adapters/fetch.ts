/**
 * A fetch-style handler, `(Request) => Promise<Response>`, for web runtimes (Deno, Bun, workers, Next.js routes).
 *
 * The Fetch API has no way to send an interim response, so no 104 is ever sent: clients must use careful creation
 * (an empty creation request, then appends) to learn the upload URL before sending data, and progress is only known
 * from offset retrieval. Everything else — limits, problem details, locking — behaves as with the Node adapter.
 */
import type { ServerOptions } from '../config.js'
import { UploadHandler } from '../handler.js'
import type { UploadRequest } from '../types.js'

export type FetchHandler = ((request: Request) => Promise<Response>) & { core: UploadHandler }

export function createFetchHandler(handlerOrOptions: UploadHandler | ServerOptions = {}): FetchHandler {
  const core = handlerOrOptions instanceof UploadHandler ? handlerOrOptions : new UploadHandler(handlerOrOptions)
  const fn = async (request: Request): Promise<Response> => {
    const upload: UploadRequest = {
      method: request.method,
      url: new URL(request.url),
      headers: { get: (name) => request.headers.get(name), names: () => request.headers.keys() },
      body: request.body ? iterate(request.body) : undefined,
      signal: request.signal,
    }
    const reply = await core.handle(upload)
    const nullBody = request.method === 'HEAD' || reply.status === 204 || reply.status === 304
    const body = nullBody ? null : reply.stream ? toReadable(reply.stream) : (reply.body ?? null)
    return new Response(body, { status: reply.status, headers: reply.headers })
  }
  return Object.assign(fn, { core })
}

/** Web streams are not async-iterable in every runtime: read them through a reader. */
async function* iterate(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

function toReadable(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = it[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    async cancel() {
      await iterator.return?.()
    },
  })
}

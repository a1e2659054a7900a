/**
 * `resumable(handler, options)`: NIOResumableUpload's job for Node apps. It wraps a node:http request handler (and so
 * Express, Fastify or anything that mounts one): clients upload resumably, in any interop version or tus, and the
 * app's handler is called once per upload with a request whose body is the whole upload and whose method, path and
 * headers are the creation's; its response is the upload's final response.
 *
 * How: the app's handler also serves a private loopback listener (127.0.0.1, a free port), and a gateway in front of
 * it delivers each upload there as one ordinary request, so the app gets real IncomingMessage/ServerResponse objects
 * whatever framework it uses. Requests that are not resumable uploads go to the handler directly, untouched. Seen
 * from the app, upload requests come from 127.0.0.1: the client's address is in `Forwarded`/`X-Forwarded-For`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isResumable } from './classify.js'
import { createGateway, type GatewayHandler } from './gateway.js'
import { type GatewayOptions, resolve } from './options.js'

export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse) => void

export type ResumableOptions = Omit<GatewayOptions, 'backend'>

export type ResumableHandler = NodeRequestHandler & {
  /** Resolves once the loopback listener is up and undelivered uploads were handed over (spool mode). */
  ready: Promise<GatewayHandler>
  close(): Promise<void>
}

export function resumable(handler: NodeRequestHandler, options: ResumableOptions = {}): ResumableHandler {
  const uploadPath = resolve({ ...options, backend: 'http://127.0.0.1' }).uploadPath
  const inner = createServer(handler)
  inner.requestTimeout = 0
  const ready = new Promise<GatewayHandler>((ok, fail) => {
    inner.once('error', fail)
    inner.listen(0, '127.0.0.1', () => {
      const { port } = inner.address() as AddressInfo
      const gateway = createGateway({ ...options, backend: `http://127.0.0.1:${port}` })
      gateway.ready.then(() => ok(gateway), fail)
    })
  })
  // Unhandled until someone awaits it: a failed listen surfaces on the first upload request.
  ready.catch(() => {})
  const fn = (req: IncomingMessage, res: ServerResponse): void => {
    if (!isResumable(req.url ?? '/', (req.method ?? 'GET').toUpperCase(), req.headers, uploadPath)) {
      handler(req, res)
      return
    }
    ready.then(
      (gateway) => gateway(req, res),
      (err: unknown) => {
        options.logger?.error({ err }, 'resumable: the loopback listener failed')
        res.writeHead(500, { 'content-type': 'text/plain' }).end('upload handler unavailable\n')
      },
    )
  }
  return Object.assign(fn, {
    ready,
    close: async () => {
      const gateway = await ready.catch(() => undefined)
      await gateway?.close()
      inner.closeAllConnections()
      await new Promise<void>((r) => inner.close(() => r()))
    },
  })
}

/**
 * toxiproxy's HTTP control API over a `Netsim`: the same routes, JSON shapes and status codes, so toxiproxy clients
 * (toxiproxy-node-client, the Go and Ruby clients, toxiproxy-cli) work unchanged. Default address 127.0.0.1:8474.
 * Errors answer `{"error": message, "status": code}` as toxiproxy does, plus netsim's stable `code`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { formatHostPort, resolveAddress } from './address.js'
import { NetsimError } from './errors.js'
import type { Netsim } from './netsim.js'

/** The toxiproxy API version netsim speaks; clients compare against it. */
export const TOXIPROXY_API_VERSION = '2.12.0'
const MAX_BODY = 1024 * 1024

export interface ApiServer {
  /** e.g. `http://127.0.0.1:8474` */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, params: string[]) => Promise<Reply>
interface Reply {
  status: number
  body?: unknown
}

/**
 * Reads the body as JSON. An oversized body is read to its end and dropped rather than cut off: cutting it off would
 * destroy the connection under a keep-alive client, which would then fail its next request instead of this one.
 */
function readJson(req: IncomingMessage, required: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) parts.push(chunk)
    })
    req.on('error', reject)
    req.on('end', () => {
      if (size > MAX_BODY) return reject(new NetsimError('ERR_BODY_TOO_LARGE', `request body over ${MAX_BODY} bytes`))
      const text = Buffer.concat(parts).toString('utf8').trim()
      if (text === '') {
        if (required) return reject(new NetsimError('ERR_BAD_REQUEST_BODY', 'bad request body: empty'))
        return resolve({})
      }
      try {
        resolve(JSON.parse(text) as unknown)
      } catch (e) {
        reject(new NetsimError('ERR_BAD_REQUEST_BODY', `bad request body: ${(e as Error).message}`))
      }
    })
  })
}

function proxyPatch(body: unknown): { listen?: string; upstream?: string; enabled?: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new NetsimError('ERR_BAD_REQUEST_BODY', 'bad request body: a proxy update must be a JSON object')
  }
  const b = body as Record<string, unknown>
  const out: { listen?: string; upstream?: string; enabled?: boolean } = {}
  for (const key of ['listen', 'upstream'] as const) {
    const v = b[key]
    if (v === undefined || v === '') continue
    if (typeof v !== 'string') throw new NetsimError('ERR_INVALID_FIELD', `${key} must be a string`)
    out[key] = v
  }
  if (b['enabled'] !== undefined) {
    if (typeof b['enabled'] !== 'boolean') throw new NetsimError('ERR_INVALID_FIELD', 'enabled must be true or false')
    out.enabled = b['enabled']
  }
  return out
}

function routes(ns: Netsim): { pattern: RegExp; methods: Record<string, Handler> }[] {
  return [
    {
      pattern: /^\/version$/,
      methods: {
        GET: async () => ({ status: 200, body: { version: TOXIPROXY_API_VERSION, implementation: 'rufh-netsim' } }),
      },
    },
    {
      pattern: /^\/reset$/,
      methods: {
        POST: async () => {
          await ns.reset()
          return { status: 204 }
        },
      },
    },
    {
      pattern: /^\/proxies$/,
      methods: {
        GET: async () => ({ status: 200, body: ns.toJSON() }),
        POST: async (req) => ({ status: 201, body: (await ns.createProxy(await readJson(req, true))).toJSON() }),
      },
    },
    {
      pattern: /^\/populate$/,
      methods: {
        POST: async (req) => {
          const proxies = await ns.populate(await readJson(req, true))
          return { status: 201, body: { proxies: proxies.map((p) => p.toJSON()) } }
        },
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)$/,
      methods: {
        GET: async (_req, [name]) => ({ status: 200, body: ns.proxy(name!).toJSON() }),
        POST: updateProxy,
        PATCH: updateProxy,
        DELETE: async (_req, [name]) => {
          await ns.deleteProxy(name!)
          return { status: 204 }
        },
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)\/toxics$/,
      methods: {
        GET: async (_req, [name]) => ({ status: 200, body: ns.proxy(name!).toJSON().toxics }),
        // toxiproxy answers 200 here, not 201; its own Go client checks for exactly 200.
        POST: async (req, [name]) => {
          const proxy = ns.proxy(name!)
          const spec = proxy.addToxic(await readJson(req, true))
          return { status: 200, body: proxy.toJSON().toxics.find((t) => t['name'] === spec.name) }
        },
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      methods: {
        GET: async (_req, [name, toxic]) => ({ status: 200, body: toxicJson(ns, name!, toxic!) }),
        POST: updateToxic,
        PATCH: updateToxic,
        DELETE: async (_req, [name, toxic]) => {
          ns.proxy(name!).removeToxic(toxic!)
          return { status: 204 }
        },
      },
    },
  ]

  async function updateProxy(req: IncomingMessage, [name]: string[]): Promise<Reply> {
    const proxy = ns.proxy(name!)
    await proxy.update(proxyPatch(await readJson(req, true)))
    return { status: 200, body: proxy.toJSON() }
  }

  async function updateToxic(req: IncomingMessage, [name, toxic]: string[]): Promise<Reply> {
    ns.proxy(name!).updateToxic(toxic!, await readJson(req, true))
    return { status: 200, body: toxicJson(ns, name!, toxic!) }
  }
}

function toxicJson(ns: Netsim, proxy: string, toxic: string): unknown {
  const p = ns.proxy(proxy)
  p.getToxic(toxic)
  return p.toJSON().toxics.find((t) => t['name'] === toxic)
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status).end()
    return
  }
  const text = `${JSON.stringify(reply.body)}\n`
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function errorReply(e: unknown): Reply {
  if (e instanceof NetsimError) return { status: e.status, body: { error: e.message, status: e.status, code: e.code } }
  const message = e instanceof Error ? e.message : String(e)
  return { status: 500, body: { error: message, status: 500, code: 'ERR_INTERNAL' } }
}

export function createApiHandler(ns: Netsim): (req: IncomingMessage, res: ServerResponse) => void {
  const table = routes(ns)
  return (req, res) => {
    const run = async (): Promise<Reply> => {
      // A browser page must not be able to drive the API by cross-site requests (toxiproxy refuses them the same way).
      if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
        throw new NetsimError('ERR_FORBIDDEN', 'User agent not allowed')
      }
      const path = new URL(req.url ?? '/', 'http://netsim.invalid').pathname
      for (const route of table) {
        const m = route.pattern.exec(path)
        if (!m) continue
        const handler = route.methods[req.method ?? '']
        if (!handler) {
          throw new NetsimError(
            'ERR_METHOD_NOT_ALLOWED',
            `${req.method} not allowed on ${path}; use ${Object.keys(route.methods).join(', ')}`,
          )
        }
        let params: string[]
        try {
          params = m.slice(1).map((s) => decodeURIComponent(s))
        } catch {
          throw new NetsimError('ERR_ROUTE_NOT_FOUND', `malformed path ${path}`)
        }
        return handler(req, params)
      }
      throw new NetsimError('ERR_ROUTE_NOT_FOUND', `no route for ${req.method} ${path}`)
    }
    run().then(
      (reply) => send(res, reply),
      (e: unknown) => {
        // Drain what is left of the body so the connection stays usable for the next request.
        req.resume()
        send(res, errorReply(e))
      },
    )
  }
}

/** Serves the control API for `ns`. Loopback only unless `ns` allows otherwise. */
export async function startApi(ns: Netsim, address = '127.0.0.1:8474'): Promise<ApiServer> {
  const addr = resolveAddress(address, 'api', ns.allowNonLoopback)
  const server: Server = createServer(createApiHandler(ns))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new NetsimError('ERR_LISTEN', `cannot listen on ${address}: ${err.code ?? err.message}`)),
    )
    server.listen({ host: addr.host === '' ? undefined : addr.host, port: addr.port }, resolve)
  })
  const bound = server.address()
  const port = bound && typeof bound === 'object' ? bound.port : addr.port
  const host = addr.host === '' ? '127.0.0.1' : addr.host
  return {
    url: `http://${formatHostPort(host, port)}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

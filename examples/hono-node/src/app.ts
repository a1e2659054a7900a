/**
 * rufh in a Hono app on node:http (`@hono/node-server`): the node handler answers everything under `/uploads/`
 * (104s included) from the raw `incoming`/`outgoing` pair the adapter passes as bindings, next to the app's own
 * routes. Hono builds its `Request` lazily, so the body is still unread when the handler takes it.
 *
 *   npm start -w @rufh-examples/hono-node   # PORT (3000) and UPLOAD_DIR (./uploads) from the environment
 */
import type { Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { type HttpBindings, serve } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { type Authorize, createFetchHandler, createNodeHandler, UnauthorizedError } from '@rufh/server'
import { Hono } from 'hono'

// Who may upload: demo bearer tokens naming a principal (a real app checks its sessions here, or verifies a JWT as
// `rufh serve --jwt-secret-file` does). rufh asks on every request, stores the creator with each upload, and lets
// only that principal continue, read or cancel it.
const TOKENS: Record<string, string> = { 'Bearer alice-token': 'alice', 'Bearer bob-token': 'bob' }
const authorize: Authorize = (request) => {
  const principal = TOKENS[request.headers.get('authorization') ?? '']
  if (!principal) throw new UnauthorizedError('a bearer token is needed', 'Bearer')
  return { principal }
}

export function createApp(directory: string) {
  // basePath is the public path: it builds the upload URLs (Location), so it names the mount point.
  const uploads = createNodeHandler({ directory, basePath: '/uploads/', authorize })
  // Hono answers HEAD through GET routes and makes a bodiless copy of the Response they return, so HEAD (offset
  // retrieval: no body, no 104) needs a Response: the fetch handler over the same uploads gives one.
  const head = createFetchHandler(uploads.core)
  const app = new Hono<{ Bindings: HttpBindings }>()
  const mount = (c: { env: HttpBindings; req: { raw: Request } }) => {
    if (c.req.raw.method === 'HEAD') return head(c.req.raw)
    uploads(c.env.incoming, c.env.outgoing)
    // The handler writes the response itself: tell the adapter to leave `outgoing` alone.
    return RESPONSE_ALREADY_SENT
  }
  app.all('/uploads', mount)
  app.all('/uploads/*', mount)
  app.get('/health', (c) => c.json({ ok: true }))
  app.post('/api/echo', async (c) => c.json(await c.req.json()))
  return { app, uploads }
}

export async function start(port: number, directory: string): Promise<{ origin: string; close(): Promise<void> }> {
  const { app, uploads } = createApp(directory)
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s as Server))
  })
  const address = server.address()
  return {
    origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`,
    async close() {
      // Running transfers persist what they received and are answered first, then the connections close.
      await uploads.core.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const s = await start(Number(process.env['PORT'] ?? 3000), process.env['UPLOAD_DIR'] ?? './uploads')
  console.log(`hono app (node:http) on ${s.origin}, uploads at ${s.origin}/uploads/`)
}

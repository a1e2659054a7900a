/**
 * rufh in a Hono app through its fetch entry: `createFetchHandler` takes Hono's `Request` and returns a `Response`,
 * so the same app runs on any runtime Hono runs on (here node:http through `@hono/node-server`). The Fetch API has
 * no interim responses, so no 104 is sent: clients use careful creation (an empty creation request, then appends).
 *
 *   npm start -w @rufh-examples/hono-fetch   # PORT (3000) and UPLOAD_DIR (./uploads) from the environment
 */
import type { Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { type Authorize, createFetchHandler, UnauthorizedError } from '@rufh/server'
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
  const uploads = createFetchHandler({ directory, basePath: '/uploads/', authorize })
  const app = new Hono()
  app.all('/uploads', (c) => uploads(c.req.raw))
  app.all('/uploads/*', (c) => uploads(c.req.raw))
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
      await uploads.core.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const s = await start(Number(process.env['PORT'] ?? 3000), process.env['UPLOAD_DIR'] ?? './uploads')
  console.log(`hono app (fetch entry) on ${s.origin}, uploads at ${s.origin}/uploads/`)
}

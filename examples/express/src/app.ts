/**
 * rufh in an Express 5 app: the node handler answers everything under `/uploads/` (104s included), next to the app's
 * own routes. Mount it before body parsers: the handler reads the request body itself, as a stream.
 *
 *   npm start -w @rufh-examples/express   # PORT (3000) and UPLOAD_DIR (./uploads) from the environment
 */
import type { Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { type Authorize, createNodeHandler, UnauthorizedError } from '@rufh/server'
import express from 'express'

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
  const app = express()
  // `/uploads` itself (creation, OPTIONS) and every upload below it; Express 5 leaves `req.url` whole on `all`.
  app.all('/uploads{/*rest}', (req, res) => uploads(req, res))
  app.use(express.json())
  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  app.post('/api/echo', (req, res) => {
    res.json(req.body)
  })
  return { app, uploads }
}

export async function start(port: number, directory: string): Promise<{ origin: string; close(): Promise<void> }> {
  const { app, uploads } = createApp(directory)
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)))
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
  console.log(`express app on ${s.origin}, uploads at ${s.origin}/uploads/`)
}

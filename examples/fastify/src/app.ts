/**
 * rufh in a Fastify 5 app: the node handler answers everything under `/uploads/` (104s included), next to the app's
 * own routes. Inside its plugin, a catch-all content-type parser leaves the body unread (Fastify would otherwise
 * answer 415 to upload media types, or buffer the body), and `reply.hijack()` hands the raw response to the handler.
 *
 *   npm start -w @rufh-examples/fastify   # PORT (3000) and UPLOAD_DIR (./uploads) from the environment
 */
import { pathToFileURL } from 'node:url'
import { type Authorize, createNodeHandler, UnauthorizedError } from '@rufh/server'
import Fastify, { type FastifyInstance } from 'fastify'

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
  // Uploads can take hours: no total request timeout (the handler has its own idle timeout for stalled bodies).
  const app = Fastify({ requestTimeout: 0 })
  // An encapsulated plugin: its content-type parser applies to the upload routes only.
  void app.register(async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null))
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
    for (const url of ['/uploads', '/uploads/*'])
      scope.route({
        method: methods,
        url,
        exposeHeadRoute: false,
        handler: (req, reply) => {
          reply.hijack()
          uploads(req.raw, reply.raw)
        },
      })
  })
  app.get('/health', async () => ({ ok: true }))
  app.post('/api/echo', async (req) => req.body)
  return { app, uploads }
}

export async function start(port: number, directory: string): Promise<{ origin: string; close(): Promise<void> }> {
  const { app, uploads } = createApp(directory)
  await app.listen({ port, host: '127.0.0.1' })
  const address = app.server.address()
  return {
    origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`,
    async close() {
      // Running transfers persist what they received and are answered first, then the connections close.
      await uploads.core.close()
      app.server.closeAllConnections()
      await app.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const s = await start(Number(process.env['PORT'] ?? 3000), process.env['UPLOAD_DIR'] ?? './uploads')
  console.log(`fastify app on ${s.origin}, uploads at ${s.origin}/uploads/`)
}

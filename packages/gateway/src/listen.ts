/** `startGateway`: the gateway on its own port (HTTP/1.1, or HTTPS with `tls`), as `rufh gateway` runs it. */
import { createServer as createHttp, type Server } from 'node:http'
import { createServer as createHttps } from 'node:https'
import type { Socket } from 'node:net'
import { createGateway, type GatewayHandler } from './gateway.js'
import type { GatewayOptions } from './options.js'

export interface GatewayListenOptions extends GatewayOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 1080; 0 picks a free port. */
  port?: number
  tls?: { cert: string | Buffer; key: string | Buffer }
}

export interface RunningGateway {
  /** `http://host:port` */
  url: string
  port: number
  handler: GatewayHandler
  close(graceMs?: number): Promise<void>
}

export async function startGateway(options: GatewayListenOptions): Promise<RunningGateway> {
  const handler = createGateway(options)
  const server: Server = options.tls
    ? createHttps({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttp(handler)
  // Uploads can take hours: no total request timeout (idle bodies are caught by the idle timeout).
  server.requestTimeout = 0
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    // The 104 and the final response are separate small writes (see the server's listen.ts on Nagle).
    s.setNoDelay(true)
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 1080, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 1080)
  const hostPart = host.includes(':') ? `[${host}]` : host
  return {
    url: `${options.tls ? 'https' : 'http'}://${hostPart}:${port}`,
    port,
    handler,
    async close(graceMs = 5_000) {
      const closed = new Promise<void>((r) => server.close(() => r()))
      await handler.close()
      server.closeIdleConnections()
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy()
      }, graceMs)
      await closed
      clearTimeout(timer)
    },
  }
}

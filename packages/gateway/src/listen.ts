/**
 * `startGateway`: the gateway on its own port, with `rufh serve`'s listener (the server's `listenNode`): HTTP/1.1 and
 * h2c (prior knowledge) on one port, or with `tls` HTTP/2 and HTTP/1.1 chosen by ALPN.
 */
import { listenNode, type NodeListenOptions } from '@rufh/server'
import { createGateway, type GatewayHandler } from './gateway.js'
import { keepFreedHeap } from './malloc-hint.js'
import type { GatewayOptions } from './options.js'

export interface GatewayListenOptions extends GatewayOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 1080; 0 picks a free port. */
  port?: number
  tls?: { cert: string | Buffer; key: string | Buffer }
  /** Connection bounds (idle and slow-head clients, connection caps), as `rufh serve`'s. */
  connections?: NodeListenOptions['connections']
}

export interface RunningGateway {
  /** `http://host:port` */
  url: string
  port: number
  handler: GatewayHandler
  close(graceMs?: number): Promise<void>
}

export async function startGateway(options: GatewayListenOptions): Promise<RunningGateway> {
  keepFreedHeap()
  const handler = createGateway(options)
  const listener = await listenNode(
    { core: handler.core, handler, close: () => handler.close() },
    {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 1080,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.connections ? { connections: options.connections } : {}),
      // A 64 KiB socket read is more than Node's 16 KiB default: each one paused the client's connection and resumed
      // it once the chunk was taken (two epoll_ctl calls per chunk, 32k per GiB); 256 KiB lets a few reads queue.
      highWaterMark: 256 * 1024,
    },
  )
  return { url: listener.url, port: listener.port, handler, close: (graceMs) => listener.close(graceMs) }
}

/** Servers and clients for netsim's tests: real sockets on 127.0.0.1, port 0. Not part of the public API. */
import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { Netsim, type NetsimOptions } from './netsim.js'
import type { NetsimProxy } from './proxy.js'

export interface TcpServer {
  port: number
  address: string
  sockets: Set<Socket>
  close(): Promise<void>
}

/** A TCP server running `onConnection` for each socket; `close` also destroys open sockets. */
export async function tcpServer(onConnection: (s: Socket) => void): Promise<TcpServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onConnection(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

export const echoServer = (): Promise<TcpServer> => tcpServer((s) => s.pipe(s))

/** Sends `bytes` bytes of a repeating pattern on connect, then ends. */
export const sourceServer = (bytes: number): Promise<TcpServer> =>
  tcpServer((s) => {
    s.end(pattern(bytes))
  })

export function pattern(n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}

export async function connectTo(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  await once(s, 'connect')
  return s
}

export interface Received {
  data: Buffer
  chunks: number
  /** performance.now() of the first and last data event, and of the end or close. */
  first: number
  last: number
  endedAt: number
  error?: NodeJS.ErrnoException
  /** How the stream finished: a clean FIN, or a close without one (error or reset). */
  how: 'end' | 'close'
}

/** Collects everything a socket receives until it ends or closes. */
export function collect(s: Socket): Promise<Received> {
  return new Promise((resolve) => {
    const parts: Buffer[] = []
    let first = 0
    let last = 0
    let error: NodeJS.ErrnoException | undefined
    s.on('data', (d: Buffer) => {
      const t = performance.now()
      if (parts.length === 0) first = t
      last = t
      parts.push(d)
    })
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e
    })
    const done = (how: 'end' | 'close'): void => {
      const r: Received = {
        data: Buffer.concat(parts),
        chunks: parts.length,
        first,
        last,
        endedAt: performance.now(),
        how,
      }
      if (error) r.error = error
      resolve(r)
    }
    s.once('end', () => done('end'))
    s.once('close', () => done('close'))
  })
}

export async function withNetsim<T>(options: NetsimOptions, fn: (ns: Netsim) => Promise<T>): Promise<T> {
  const ns = new Netsim(options)
  try {
    return await fn(ns)
  } finally {
    await ns.close()
  }
}

let proxyCounter = 0
export function proxyTo(ns: Netsim, upstream: string): Promise<NetsimProxy> {
  return ns.createProxy({ name: `p${++proxyCounter}`, upstream })
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Rejects if `p` takes longer than `ms`: a hanging socket must fail the test, not the whole run. */
export function within<T>(ms: number, p: Promise<T>, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
    }),
  ])
}

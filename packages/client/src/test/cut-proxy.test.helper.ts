/**
 * A TCP proxy for tests: cuts a connection after K client→server bytes (K chosen per connection), and can throttle
 * the client→server direction. Enough to interrupt uploads at random offsets without the netsim package.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export interface CutProxyOptions {
  /** Bytes (client→server) after which connection number `n` is cut; undefined: never. */
  cutAfter?: (n: number) => number | undefined
  /** Cumulative client→server offsets (over all connections) at which the carrying connection is cut. */
  cutAtTotal?: number[]
  /** Client→server bytes per second (undefined: unthrottled). */
  rate?: number
}

export interface CutProxy {
  port: number
  /** Rewrites a URL to go through the proxy. */
  via(url: string): string
  /** Connections cut so far. */
  readonly cuts: number
  /** Connections accepted so far. */
  readonly connections: number
  close(): Promise<void>
}

export async function startCutProxy(upstreamPort: number, o: CutProxyOptions = {}): Promise<CutProxy> {
  const sockets = new Set<Socket>()
  let cuts = 0
  let n = 0
  let total = 0
  const totals = [...(o.cutAtTotal ?? [])].sort((a, b) => a - b)
  const server: Server = createServer((client) => {
    const limit = o.cutAfter?.(n++)
    const upstream = connect(upstreamPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    let seen = 0
    let cut = false
    const kill = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('data', (chunk: Buffer) => {
      if (cut) return
      let data = chunk
      if (limit !== undefined && seen + data.length >= limit) {
        data = data.subarray(0, Math.max(0, limit - seen))
        cut = true
      }
      const at = totals[0]
      if (at !== undefined && total + data.length >= at) {
        totals.shift()
        data = data.subarray(0, Math.max(0, at - total))
        cut = true
      }
      seen += data.length
      total += data.length
      if (data.length) upstream.write(data)
      if (cut) {
        cuts++
        // Let the forwarded part reach the server before both ends go away.
        setTimeout(kill, 20)
        return
      }
      if (o.rate) {
        client.pause()
        setTimeout(() => client.resume(), (chunk.length / o.rate) * 1000)
      }
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!cut) client.write(chunk)
    })
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
    for (const s of [client, upstream]) {
      s.on('error', kill)
      s.on('close', () => {
        sockets.delete(s)
        kill()
      })
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    port,
    via(url: string) {
      const u = new URL(url)
      u.port = String(port)
      return u.href
    },
    get cuts() {
      return cuts
    },
    get connections() {
      return n
    },
    close() {
      for (const s of sockets) s.destroy()
      return new Promise((r) => server.close(() => r()))
    },
  }
}

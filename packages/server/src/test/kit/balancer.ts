/**
 * Test fixture (not shipped): a tiny TCP load balancer in front of several servers, as a deployment has. Each new
 * connection goes to the next backend (round robin) or to the first one that is up (failover); a backend that
 * refuses the connection (a killed node) is skipped, as a balancer's health check would. It can throttle the
 * client→server direction (so that a body is still arriving when a node is killed) and cut chosen connections after
 * some client→server bytes (so that uploads are interrupted mid-body and resumed, usually through another node).
 * With one backend it is the client tests' cutting proxy (packages/client/src/test/cut-proxy.test.helper.ts).
 */
import { connect, createServer, type Socket } from 'node:net'

export interface BalancerOptions {
  /** `round-robin` (default): each connection to the next backend; `failover`: to the first one that is up. */
  mode?: 'round-robin' | 'failover'
  /** Client→server bytes after which connection number `n` is cut; undefined: never. */
  cutAfter?: (n: number) => number | undefined
  /** Cumulative client→server offsets (over all connections) at which the carrying connection is cut. */
  cutAtTotal?: number[]
  /** Client→server bytes per second (undefined: unthrottled); may be changed while running. */
  rate?: number | undefined
}

export interface Balancer {
  /** The balancer's origin, `http://127.0.0.1:PORT`. */
  origin: string
  port: number
  /** Rewrites a URL of any backend to go through the balancer. */
  via(url: string): string
  /** The backend port each connection went to, in order. */
  readonly routes: number[]
  /** The connections open now: backend port and client→server bytes forwarded, most bytes first. */
  open(): { port: number; bytes: number }[]
  /** Connections cut so far. */
  readonly cuts: number
  /** Connections accepted so far. */
  readonly connections: number
  rate: number | undefined
  close(): Promise<void>
}

export async function startBalancer(backends: readonly number[], o: BalancerOptions = {}): Promise<Balancer> {
  const sockets = new Set<Socket>()
  const live = new Map<Socket, { port: number; bytes: number }>()
  const routes: number[] = []
  let next = 0
  let n = 0
  let cuts = 0
  let total = 0
  const totals = [...(o.cutAtTotal ?? [])].sort((a, b) => a - b)
  const state = { rate: o.rate }

  /** Connects to a backend, trying the others in turn when one refuses. */
  const dial = (first: number, tried = 0): Promise<{ socket: Socket; port: number } | undefined> => {
    if (tried >= backends.length) return Promise.resolve(undefined)
    const port = backends[(first + tried) % backends.length]!
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => resolve({ socket: s, port }))
      s.once('error', () => {
        s.destroy()
        resolve(dial(first, tried + 1))
      })
    })
  }

  const server = createServer((client) => {
    client.pause()
    sockets.add(client)
    const limit = o.cutAfter?.(n++)
    const first = o.mode === 'failover' ? 0 : next++ % backends.length
    void dial(first).then((up) => {
      if (!up || client.destroyed) {
        up?.socket.destroy()
        client.destroy()
        return
      }
      const upstream = up.socket
      routes.push(up.port)
      const entry = { port: up.port, bytes: 0 }
      live.set(upstream, entry)
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
        entry.bytes = seen
        if (data.length) upstream.write(data)
        if (cut) {
          cuts++
          setTimeout(kill, 20) // let the forwarded part reach the server first
          return
        }
        if (state.rate) {
          client.pause()
          setTimeout(() => client.resume(), (chunk.length / state.rate) * 1000)
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
          live.delete(s)
          kill()
        })
      }
      client.resume()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    port,
    via(url) {
      const u = new URL(url)
      return new URL(u.pathname + u.search, origin).href
    },
    routes,
    open: () => [...live.values()].sort((x, y) => y.bytes - x.bytes),
    get cuts() {
      return cuts
    },
    get connections() {
      return n
    },
    get rate() {
      return state.rate
    },
    set rate(r) {
      state.rate = r
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

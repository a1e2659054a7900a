/**
 * A raw node:net front for a real server, to build wire-level mutants: it can rewrite or answer request heads, drop
 * or rewrite interim responses, rewrite the final response head, and serialize connections per upload URI (a server
 * that makes new requests wait for the old ones). Bodies pass through untouched, so slow and cut bodies still are.
 */
import net from 'node:net'
import { type HeaderList, type ParsedHead, parseHead } from '@rufh/wire'

export interface RequestHead {
  method: string
  target: string
  headers: HeaderList
}

export interface FrontHooks {
  /** Rewrite a request head, or answer it directly with a raw response. */
  request?(head: RequestHead): RequestHead | { reply: string }
  /** Rewrite an interim response; `null` drops it. */
  interim?(head: ParsedHead, req: RequestHead): ParsedHead | null
  /** Rewrite the final response head (its framing fields must stay as they are). */
  final?(head: ParsedHead, req: RequestHead): ParsedHead
  /** New requests for an upload URI wait until earlier connections for the same URI closed. */
  serialize?: boolean
}

export interface Front {
  url: string
  close(): Promise<void>
}

export function serializeHead(h: ParsedHead): string {
  return [`${h.version} ${h.status} ${h.reason}`, ...h.headers.map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n')
}

export function setField(headers: HeaderList, name: string, value: string | undefined): HeaderList {
  const out = headers.filter(([k]) => k.toLowerCase() !== name.toLowerCase())
  if (value !== undefined) out.push([name, value])
  return out
}

export function getField(headers: HeaderList, name: string): string | undefined {
  return headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
}

export async function startFront(upstream: string, hooks: FrontHooks): Promise<Front> {
  const up = new URL(upstream)
  const busy = new Map<string, Promise<void>>()
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    let buf = Buffer.alloc(0)
    const onData = (b: Buffer) => {
      buf = Buffer.concat([buf, b])
      const i = buf.indexOf('\r\n\r\n')
      if (i < 0) return
      client.off('data', onData)
      client.pause()
      const [line = '', ...rest] = buf.subarray(0, i).toString('latin1').split('\r\n')
      const [method = '', target = ''] = line.split(' ')
      const headers: HeaderList = rest.map((l) => {
        const c = l.indexOf(':')
        return [l.slice(0, c).trim(), l.slice(c + 1).trim()]
      })
      void forward({ method, target, headers }, buf.subarray(i + 4))
    }
    client.on('data', onData)

    const forward = async (head0: RequestHead, early: Buffer) => {
      const r = hooks.request ? hooks.request(head0) : head0
      if ('reply' in r) {
        client.end(r.reply)
        return
      }
      const head = r
      const key = head.target.split('?')[0]!
      let release = () => {}
      if (hooks.serialize && key !== up.pathname) {
        const before = busy.get(key) ?? Promise.resolve()
        const mine = new Promise<void>((res) => {
          release = res
        })
        busy.set(
          key,
          before.then(() => mine),
        )
        client.once('close', () => release())
        await before
        if (client.destroyed) return
      }
      const server = net.connect({ host: up.hostname, port: Number(up.port) })
      server.on('error', () => client.destroy())
      client.on('close', () => {
        server.destroy()
        release()
      })
      server.on('close', () => client.destroy())
      const lines = [`${head.method} ${head.target} HTTP/1.1`, ...head.headers.map(([k, v]) => `${k}: ${v}`), '', '']
      server.write(lines.join('\r\n'), 'latin1')
      if (early.length) server.write(early)
      client.on('data', (b: Buffer) => server.write(b))
      client.on('end', () => server.end())
      client.resume()
      let rbuf = Buffer.alloc(0)
      let passthrough = false
      server.on('data', (b: Buffer) => {
        if (passthrough) {
          client.write(b)
          return
        }
        rbuf = Buffer.concat([rbuf, b])
        for (;;) {
          const j = rbuf.indexOf('\r\n\r\n')
          if (j < 0) return
          const parsed = parseHead(rbuf.subarray(0, j).toString('latin1'))
          rbuf = rbuf.subarray(j + 4)
          if (parsed.status >= 100 && parsed.status < 200) {
            const h = hooks.interim ? hooks.interim(parsed, head) : parsed
            if (h) client.write(serializeHead(h), 'latin1')
            continue
          }
          const h = hooks.final ? hooks.final(parsed, head) : parsed
          client.write(serializeHead(h), 'latin1')
          if (rbuf.length) client.write(rbuf)
          passthrough = true
          return
        }
      })
      server.on('end', () => client.end())
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}${up.pathname}`,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** @tus/server 2 with its FileStore in a fresh temporary folder, on 127.0.0.1: the tus-only peer the client meets. */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStore } from '@tus/file-store'
import { Server } from '@tus/server'

export interface TusNodeServer {
  /** The folder the uploads are stored in; callers may put their own files there too (it is removed on close). */
  dir: string
  /** The creation URL, `http://127.0.0.1:PORT/files`. */
  endpoint: string
  close(): Promise<void>
}

export async function startTusNodeServer(): Promise<TusNodeServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-tus-node-'))
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) })
  const http = tus.listen({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => http.once('listening', r))
  return {
    dir,
    endpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}/files`,
    async close() {
      try {
        await new Promise<void>((r) => {
          http.closeAllConnections()
          http.close(() => r())
        })
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

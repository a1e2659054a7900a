// The reference tus 1.0 server (@tus/server + @tus/file-store, root devDependencies) on loopback, for benchmarks.
// Usage: node tus-node-server.mjs PORT DIR [BACKLOG]  → prints "tus serving URL" when ready (BACKLOG: the listen
// queue's length, Node's default 511 when absent).
import { FileStore } from '@tus/file-store'
import { Server } from '@tus/server'

const port = Number(process.argv[2] ?? 0)
const directory = process.argv[3] ?? './tus-data'
const backlog = process.argv[4] ? { backlog: Number(process.argv[4]) } : {}
const server = new Server({ path: '/files', datastore: new FileStore({ directory }) })
const http = server.listen({ host: '127.0.0.1', port, ...backlog }, () => {
  process.stdout.write(`tus serving http://127.0.0.1:${http.address().port}/files\n`)
})
process.once('SIGTERM', () => {
  http.closeAllConnections()
  http.close(() => process.exit(0))
})

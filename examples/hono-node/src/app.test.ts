/** The Hono-on-node:http example, run on a free port: uploads, downloads, 104s and the app's own routes. */
import { describeMount } from '@rufh-examples/kit'
import { start } from './app.js'

describeMount('Hono 4 on @hono/node-server + createNodeHandler under /uploads/', (dir) => start(0, dir), {
  basePath: '/uploads/',
  interim: true,
})

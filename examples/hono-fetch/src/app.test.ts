/** The Hono fetch-entry example, run on a free port: uploads, downloads, no 104s, and the app's own routes. */
import { describeMount } from '@rufh-examples/kit'
import { start } from './app.js'

describeMount('Hono 4 fetch entry + createFetchHandler under /uploads/', (dir) => start(0, dir), {
  basePath: '/uploads/',
  interim: false,
})

/** The Express example, run on a free port: uploads, downloads, 104s and the app's own routes through the mount. */
import { describeMount } from '@rufh-examples/kit'
import { start } from './app.js'

describeMount('Express 5 + createNodeHandler under /uploads/', (dir) => start(0, dir), {
  basePath: '/uploads/',
  interim: true,
})

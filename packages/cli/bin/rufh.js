#!/usr/bin/env node
// The `rufh` command. This launcher is committed, not built, so that npm links node_modules/.bin/rufh at install time,
// before dist/ exists (npm links no bin whose file is missing). It runs the compiled CLI, or says how to build it.
import { existsSync } from 'node:fs'

const main = new URL('../dist/bin.js', import.meta.url)
if (existsSync(main)) await import(main.href)
else {
  process.stderr.write('rufh: not built yet (packages/cli/dist/bin.js is missing): run `npm run build` (tsc -b)\n')
  process.exitCode = 1
}

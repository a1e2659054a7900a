/**
 * The page's JavaScript, unbundled: the compiled ESM of the page, the browser build of @rufh/client, @rufh/protocol
 * and structured-headers, served as they are installed, with an import map for the three bare specifiers. Only the
 * files reachable from the page's entry are served (found by following their imports once, at start), so nothing
 * else under node_modules is reachable, and a bare import the map does not know fails at start, not in a browser.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** URL prefix of every module. */
export const MODULE_PREFIX = '/ui/m/'

interface Root {
  /** URL segment under MODULE_PREFIX. */
  name: string
  dir: string
}

/** The bare specifiers the page's modules use, and where each resolves (from this package, as Node resolves it). */
function roots(): { roots: Root[]; imports: Record<string, string> } {
  const here = dirname(fileURLToPath(import.meta.url))
  const client = fileURLToPath(import.meta.resolve('@rufh/client/browser'))
  const protocol = fileURLToPath(import.meta.resolve('@rufh/protocol'))
  const sh = fileURLToPath(import.meta.resolve('structured-headers'))
  const list: Root[] = [
    { name: 'page', dir: join(here, 'page') },
    { name: 'client', dir: dirname(client) },
    { name: 'protocol', dir: dirname(protocol) },
    { name: 'sh', dir: dirname(sh) },
  ]
  const url = (dir: string, file: string) => `${MODULE_PREFIX}${list.find((r) => r.dir === dir)!.name}/${file}`
  return {
    roots: list,
    imports: {
      '@rufh/client/browser': url(dirname(client), 'browser.js'),
      '@rufh/protocol': url(dirname(protocol), 'index.js'),
      'structured-headers': url(dirname(sh), 'index.js'),
    },
  }
}

export interface ModuleSet {
  /** URL path → file contents. */
  files: Map<string, Buffer>
  importMap: { imports: Record<string, string> }
  /** URL of the page's entry module. */
  entry: string
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(?\s*['"]([^'"]+)['"]/g

/** Reads every module reachable from the page's entry; throws on a `node:*` or unmapped bare import. */
export function loadModules(): ModuleSet {
  const { roots: list, imports } = roots()
  const urlOf = (file: string): string => {
    for (const r of list) {
      const rel = relative(r.dir, file)
      if (!rel.startsWith('..') && !rel.startsWith(sep)) return `${MODULE_PREFIX}${r.name}/${rel.split(sep).join('/')}`
    }
    throw new Error(`@rufh/ui: module ${file} lies outside the served packages`)
  }
  const fileOf = (url: string): string => {
    const [name, ...rest] = url.slice(MODULE_PREFIX.length).split('/')
    return join(list.find((r) => r.name === name)!.dir, ...rest)
  }
  const files = new Map<string, Buffer>()
  const entry = urlOf(join(list[0]!.dir, 'app.js'))
  const todo = [fileOf(entry)]
  while (todo.length) {
    const file = todo.pop()!
    const url = urlOf(file)
    if (files.has(url)) continue
    const body = readFileSync(file)
    files.set(url, body)
    for (const m of body.toString('utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec))
      else if (imports[spec]) todo.push(fileOf(imports[spec]))
      else throw new Error(`@rufh/ui: ${file} imports '${spec}', which the page cannot load`)
    }
  }
  return { files, importMap: { imports }, entry }
}

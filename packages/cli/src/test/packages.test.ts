/**
 * Repository check: every package carries only what it needs. For each workspace package, the files npm would publish
 * (`npm pack --dry-run`) are read, and:
 * - the bare imports of its shipped files (JavaScript and type declarations) are exactly its `dependencies` and
 *   `peerDependencies`: nothing shipped imports an undeclared package, nothing declared goes unimported; except that
 *   the peer dependencies an imported entry point of a workspace package needs (`@rufh/server/redis` needs `ioredis`)
 *   must be declared too, as the package that imports it is the one that supplies them;
 * - shipped files import no file that is not shipped (test kits such as conformance's mutants stay out);
 * - the imports of its tests and test kits (compiled files under dist/ that are not shipped) are declared somewhere:
 *   dependencies, devDependencies, or the root package.json's devDependencies;
 * - each devDependency is used by its tests or its sources (type-only imports are erased from dist/).
 * Compiled files whose source is gone (tsc -b leaves them behind) are ignored.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join, normalize, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'

const root = fileURLToPath(new URL('../../../../', import.meta.url))

interface Manifest {
  name: string
  private?: boolean
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  workspaces?: string[]
  exports?: Record<string, string | { default?: string }>
}

const readJson = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest

/**
 * Module specifiers of a JS, .d.ts or .ts file, from TypeScript's own pre-processor (imports, exports, import()), plus
 * packages located by resolution (`import.meta.resolve` or `require.resolve` of a package name): @rufh/ui serves files
 * it finds that way.
 */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const resolved = [...text.matchAll(/\.resolve\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string)
  return [...ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName), ...resolved]
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; relative paths and Node builtins → undefined. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || isBuiltin(spec)) return undefined
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** A compiled file under dist/ counts only while its source exists in src/ (rootDir src, outDir dist). */
function current(pkgDir: string, rel: string): boolean {
  if (!rel.startsWith('dist/')) return true
  const src = join(pkgDir, 'src', rel.slice('dist/'.length)).replace(/(\.d)?\.js$|\.d\.ts$/, '.ts')
  return existsSync(src)
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p, out)
    else out.push(p)
  }
  return out
}

const isCode = (f: string) => f.endsWith('.js') || f.endsWith('.d.ts')

/** The peer dependencies that the entry point `spec` of workspace package `m` (in `dir`) imports, through its files. */
function peersOfEntry(spec: string, pkg: string, dir: string, m: Manifest): string[] {
  const peers = new Set(Object.keys(m.peerDependencies ?? {}))
  const entry = m.exports?.[`.${spec.slice(pkg.length)}`]
  const target = typeof entry === 'string' ? entry : entry?.default
  if (peers.size === 0 || target === undefined) return []
  const needed = new Set<string>()
  const seen = new Set<string>()
  const todo = [join(dir, target)]
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file) || !existsSync(file)) continue
    seen.add(file)
    for (const s of importsOf(file)) {
      if (s.startsWith('.')) todo.push(normalize(join(dirname(file), s)))
      else if (peers.has(packageOf(s) ?? '')) needed.add(packageOf(s)!)
    }
  }
  return [...needed]
}

test('each package declares exactly what its shipped files import, and ships no test kit', {
  timeout: 60_000,
}, async () => {
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', '--dry-run', '--json', '--workspaces', '--ignore-scripts'],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  )
  const packed = new Map(
    (JSON.parse(stdout) as { name: string; files: { path: string }[] }[]).map((p) => [
      p.name,
      p.files.map((f) => f.path),
    ]),
  )
  const rootManifest = readJson(join(root, 'package.json'))
  const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}))
  const problems: string[] = []
  const checked: string[] = []
  const workspaces = new Map(
    (rootManifest.workspaces ?? []).map((ws) => {
      const m = readJson(join(root, ws, 'package.json'))
      return [m.name, { dir: join(root, ws), m }] as const
    }),
  )
  for (const { dir, m } of workspaces.values()) {
    const files = packed.get(m.name)
    assert.ok(files, `npm pack listed no files for ${m.name}`)
    checked.push(m.name)
    // A private package (the examples) is never published: its code is what it runs, dist/ less its tests, and only
    // its JavaScript counts (declaration files of an app are never read by anyone).
    const shipped = m.private
      ? new Set(
          walk(join(dir, 'dist')).filter(
            (f) => f.endsWith('.js') && !/\.test(\.helper)?\.js$/.test(f) && current(dir, relative(dir, f)),
          ),
        )
      : new Set(files.filter((f) => isCode(f) && current(dir, f)).map((f) => join(dir, f)))
    const declared = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})])
    const used = new Set<string>()
    for (const file of shipped) {
      for (const spec of importsOf(file)) {
        const pkg = packageOf(spec)
        const at = relative(root, file)
        if (pkg === m.name) continue
        if (pkg !== undefined) {
          used.add(pkg)
          if (!declared.has(pkg)) problems.push(`${m.name}: shipped ${at} imports '${spec}', not in dependencies`)
          const ws = workspaces.get(pkg)
          for (const peer of ws && file.endsWith('.js') ? peersOfEntry(spec, pkg, ws.dir, ws.m) : []) {
            used.add(peer)
            if (!declared.has(peer))
              problems.push(`${m.name}: shipped ${at} imports '${spec}', whose peer '${peer}' is not in dependencies`)
          }
        } else if (spec.startsWith('.')) {
          const target = normalize(join(dirname(file), spec))
          const candidates = file.endsWith('.d.ts') ? [target.replace(/\.js$/, '.d.ts'), target] : [target]
          if (!candidates.some((c) => shipped.has(c)))
            problems.push(`${m.name}: shipped ${at} imports '${spec}', which is not shipped`)
        }
      }
    }
    for (const d of declared)
      if (!used.has(d)) problems.push(`${m.name}: declares '${d}' but no shipped file imports it`)

    const tests = walk(join(dir, 'dist')).filter(
      (f) => (m.private ? f.endsWith('.js') : isCode(f)) && !shipped.has(f) && current(dir, relative(dir, f)),
    )
    const dev = new Set(Object.keys(m.devDependencies ?? {}))
    const usedInTests = new Set<string>()
    for (const file of tests) {
      for (const spec of importsOf(file)) {
        const pkg = packageOf(spec)
        if (pkg === undefined || pkg === m.name) continue
        usedInTests.add(pkg)
        if (!declared.has(pkg) && !dev.has(pkg) && !rootDev.has(pkg))
          problems.push(`${m.name}: test ${relative(root, file)} imports '${spec}', declared nowhere`)
      }
    }
    const usedInSources = new Set(
      walk(join(dir, 'src'))
        .filter((f) => f.endsWith('.ts'))
        .flatMap(importsOf)
        .map(packageOf)
        .filter((p) => p !== undefined),
    )
    for (const d of dev) {
      // `@types/x` is used where `x` is (type-only imports are erased from dist/).
      const typed = d.startsWith('@types/') ? d.slice('@types/'.length) : undefined
      const isUsed = (p: string) => usedInTests.has(p) || usedInSources.has(p)
      if (!isUsed(d) && !(typed !== undefined && isUsed(typed)))
        problems.push(`${m.name}: devDependency '${d}' is imported by neither its tests nor its sources`)
    }
  }
  assert.ok(checked.length >= 8, `checked ${checked.join(', ')}`)
  assert.deepEqual(problems, [])
})

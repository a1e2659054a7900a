/**
 * Test fixtures that need Debian packages install them (CI runs on a fresh machine with apt and root). A failed
 * install fails the test loudly: a peer that cannot run is not a passing test.
 */
import { execFileSync, spawnSync } from 'node:child_process'

let updated = false

export function ensureDebianPackage(pkg: string, probe: () => boolean): void {
  if (probe()) return
  if (!updated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 180_000 })
    updated = true
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], {
    stdio: 'ignore',
    timeout: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (!probe()) throw new Error(`installed ${pkg} but it still does not work`)
}

export function pythonHasModule(mod: string): boolean {
  return spawnSync('/usr/bin/python3', ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0
}

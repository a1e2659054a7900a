/**
 * Test fixtures that need Debian packages install them (CI runs on a fresh machine with apt and root). A failed
 * install fails the test loudly: a peer that cannot run is not a passing test.
 */
import { execFileSync, spawnSync } from 'node:child_process'

let updated = false

/**
 * Test files run in parallel processes, and several install packages: apt runs under one lock file (flock, from
 * util-linux) and also waits for dpkg's own lock, so two installs wait for each other instead of failing.
 */
function apt(args: string[], timeout: number): void {
  execFileSync('flock', ['/tmp/rufh-apt.lock', 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args], {
    stdio: 'ignore',
    timeout,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
}

export function ensureDebianPackage(pkg: string, probe: () => boolean): void {
  if (probe()) return
  if (!updated) {
    apt(['update', '-qq'], 300_000)
    updated = true
  }
  apt(['install', '-y', '-qq', '--no-install-recommends', pkg], 400_000)
  if (!probe()) throw new Error(`installed ${pkg} but it still does not work`)
}

export function pythonHasModule(mod: string): boolean {
  return spawnSync('/usr/bin/python3', ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0
}

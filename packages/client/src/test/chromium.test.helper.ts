/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core. When the binary is
 * missing the fixture installs it with apt (CI machines are fresh Debian 12 images, tests run as root). A failed install
 * throws: the browser tests must fail loudly, never skip.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  })
  if (r.status !== 0)
    throw new Error(
      `chromium fixture: '${cmd} ${args.join(' ')}' failed (${r.error?.message ?? `exit ${r.status}`}): ${String(r.stderr).slice(-2000)}`,
    )
}

/** Installs Debian's chromium when /usr/bin/chromium is missing; throws when that is impossible. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM
  // Wait for apt's locks rather than fail when another fixture is installing something at the same time.
  // The same lock file as the server's fixtures (testkit-apt.ts), which may be installing at the same time.
  const lock = ['/tmp/rufh-apt.lock', 'apt-get', '-o', 'DPkg::Lock::Timeout=300']
  sh('flock', [...lock, 'update'])
  sh('flock', [...lock, 'install', '-y', '--no-install-recommends', 'chromium'])
  if (!existsSync(CHROMIUM)) throw new Error(`chromium fixture: apt installed chromium but ${CHROMIUM} is missing`)
  return CHROMIUM
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
}

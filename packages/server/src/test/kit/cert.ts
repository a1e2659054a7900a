/** Test helper (not shipped): a self-signed certificate for 127.0.0.1, made by openssl (installed like any package). */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureDebianPackage } from './apt.js'

export async function testCertificate(): Promise<{ cert: Buffer; key: Buffer }> {
  ensureDebianPackage('openssl', () => spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0)
  const dir = await mkdtemp(join(tmpdir(), 'rufh-cert-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    const subject = ['-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert]
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', ...subject], { stdio: 'ignore' })
    return { cert: await readFile(cert), key: await readFile(key) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

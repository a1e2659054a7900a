#!/usr/bin/env node
/**
 * A/B for the `s3` suite's 100 × 8 MiB set (issue 15): `node scripts/bench/s3-ab.mjs ROUNDS NAME=ROOT[:ENV=V,...] ...`.
 * One radosgw (as s3.mjs starts it); per variant one `rufh serve --s3-bucket` from ROOT (a built checkout) with the
 * given extra environment or CLI flags (`--flag=value` items), plus @tus/s3-store as the reference; in each round
 * every server runs the set once, the order reversed every other round. Prints each measurement (goodput, peak
 * RSS, CPU per GiB, S3 requests per upload) and the medians, with the load average. Run it under the bench lock.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runLoad } from '../../packages/load/dist/index.js'
import { CREDENTIALS, startRgw } from '../../packages/store-s3/dist/test/rgw.js'
import { cpuOf, MiB, median, sampleRss, startServer } from './lib.mjs'
import { rufhArgs } from './s3.mjs'
import { emptyBucket, formatOps, RgwLog } from './s3-ops.mjs'

const [rounds = '2', ...specs] = process.argv.slice(2)
const here = new URL('../..', import.meta.url).pathname
const ENV = {
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
}
const variants = specs.map((s) => {
  const [name, rest] =
    s.split('=', 2).length === 2 ? [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] : [s, '']
  const [root, extra = ''] = rest.split(':')
  const env = {}
  const flags = []
  for (const kv of extra.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=')
    if (k.startsWith('--')) flags.push(...(v ? [k, v] : [k]))
    else env[k] = v
  }
  return { name, root: resolve(root || here), env, flags }
})
const tmp = mkdtempSync(join(tmpdir(), 'rufh-s3-ab-'))
process.once('exit', () => rmSync(tmp, { recursive: true, force: true }))
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')
const out = (s) => process.stdout.write(`${s}\n`)
out(`load average at the start: ${load()}`)
const rgw = await startRgw({
  minPartSize: 'default',
  partLimit: 'default',
  memstoreBytes: 8 * 1024 ** 3,
  promptGc: true,
})
const admin = rgw.client()
const rgwLog = new RgwLog(rgw.logFile)
const servers = {}
const res = {}
try {
  for (const v of process.env.AB_TUS ? [...variants, { name: 'tus' }] : variants) {
    const bucket = await rgw.bucket()
    const s =
      v.name === 'tus'
        ? await startServer(
            [join(here, 'scripts/bench/tus-s3-server.mjs'), rgw.endpoint, bucket],
            /^tus serving (\S+)/m,
            undefined,
            ENV,
          )
        : await startServer(rufhArgs(v.root, tmp, bucket, rgw.endpoint, v.flags), /^rufh serving (\S+)/m, undefined, {
            ...ENV,
            ...v.env,
          })
    servers[v.name] = { ...s, bucket }
  }
  const names = Object.keys(servers)
  for (let i = 0; i < Number(rounds); i++) {
    for (const name of i % 2 ? [...names].reverse() : names) {
      const s = servers[name]
      const sampler = sampleRss(s.pid)
      const cpu0 = cpuOf(s.pid).total
      const from = Date.now()
      const r = await runLoad({
        url: s.url,
        protocol: 'tus-v1',
        model: { kind: 'closed', users: 100, uploadsPerUser: 1 },
        size: { kind: 'fixed', size: 8 * MiB },
        seed: i + 1,
        verify: { kind: 'get' },
        timeoutMs: 120_000,
      })
      const to = Date.now() - r.verifySeconds * 1000
      const mem = sampler.stop()
      const cpu = (cpuOf(s.pid).total - cpu0) / ((100 * 8 * MiB) / (1024 * MiB))
      await new Promise((r) => setTimeout(r, 500))
      const s3 = await rgwLog.count(s.bucket, from, to)
      await emptyBucket(admin, s.bucket)
      await rgw.gc()
      const m = {
        goodput: r.throughput.goodputBytesPerSecond / 1e6,
        rss: Math.max(mem.peak, mem.reset ? mem.hwm : 0) / MiB,
        cpu,
        p99: r.latency.completion.p99,
        verified: r.uploads.verified,
      }
      res[name] ??= []
      res[name].push(m)
      out(
        `${name.padEnd(12)} round ${i + 1}: ${m.goodput.toFixed(1)} MB/s, peak RSS ${m.rss.toFixed(0)} MiB, CPU ${cpu.toFixed(2)} s/GiB, ` +
          `p99 ${m.p99.toFixed(0)} ms, ${m.verified}/100 verified, S3/upload ${(s3.total / 100).toFixed(2)} (${formatOps(s3.ops, 100)}); load ${load()}`,
      )
    }
  }
  const tus = res.tus ? median(res.tus.map((m) => m.goodput)) : Number.NaN
  for (const name of names) {
    const g = median(res[name].map((m) => m.goodput))
    out(
      `${name.padEnd(12)} median ${g.toFixed(1)} MB/s (${(g / tus).toFixed(2)}× @tus), RSS ${median(res[name].map((m) => m.rss)).toFixed(0)} MiB, ` +
        `CPU ${median(res[name].map((m) => m.cpu)).toFixed(2)} s/GiB`,
    )
  }
} finally {
  await Promise.all(Object.values(servers).map((s) => s.stop()))
  admin.destroy()
  await rgw.stop()
}
out(`load average at the end: ${load()}`)

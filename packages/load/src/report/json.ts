/** JSON reports: the Report (or Comparison) as is, pretty-printed; one file per run or comparison. */
import { writeFile } from 'node:fs/promises'
import type { Comparison } from '../compare.js'
import type { Report } from './model.js'

export function renderJson(r: Report | Comparison): string {
  return `${JSON.stringify(r, null, 2)}\n`
}

export async function writeReportFile(path: string, text: string): Promise<void> {
  await writeFile(path, text)
}

#!/usr/bin/env node
/**
 * `rufh <command> [args]`. Each command lives in `commands/<name>.ts` and exports `run(argv): Promise<number>`
 * (the exit code) and a one-line `summary`. Commands are loaded on demand so that `rufh serve` never loads the testers.
 */
import { EXIT_USAGE } from './args.js'
import { commandNames, loadCommand } from './commands.js'

const SYNOPSIS = 'rufh <command> [options]'

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(
      commandNames.map(async (n) => `  ${n.padEnd(12)} ${(await loadCommand(n))?.summary ?? ''}`),
    )
    process.stdout.write(`usage: ${SYNOPSIS}\n\ncommands:\n${lines.join('\n')}\n\nrufh <command> --help for options\n`)
    return 0
  }
  const cmd = name === undefined ? undefined : await loadCommand(name)
  if (!cmd) {
    const what = name === undefined ? 'expected a command' : `unknown command '${name}'`
    process.stderr.write(
      `rufh: ${what} (${commandNames.join(', ')})\nusage: ${SYNOPSIS} (rufh --help lists the commands)\n`,
    )
    return EXIT_USAGE
  }
  return cmd.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`rufh: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)

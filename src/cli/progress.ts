/** Progress of long work: a bar on a terminal (cli-progress), plain lines otherwise. */
import cliProgress from 'cli-progress'
import type { CliIo } from './io.js'

export interface Progress {
  update(done: number, total: number): void
  stop(): void
}

/** Byte progress for reading `label`; plain lines every 10% when stderr is not a terminal. */
export function byteProgress (io: CliIo, label: string): Progress {
  if (io.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left`,
      stream: io.stderr as NodeJS.WritableStream,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic)
    let started = false
    return {
      update (done, total) {
        const mb = (n: number): number => Math.round(n / 1048576)
        if (!started) {
          bar.start(mb(total), 0)
          started = true
        }
        bar.update(mb(done))
      },
      stop () { if (started) bar.stop() },
    }
  }
  let lastTenth = -1
  return {
    update (done, total) {
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10)
      if (tenth > lastTenth) {
        lastTenth = tenth
        io.stderr.write(`${label}: ${tenth * 10}% read (${(done / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MB)\n`)
      }
    },
    stop () {},
  }
}

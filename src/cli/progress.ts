/** Progress of a job on stderr, for any command that runs one. */
import type { JobEvent } from '../jobs/index.js';
import type { Io } from './output.js';

/** Progress on stderr: a bar on a terminal, a line per epoch, warnings and notes. */
export function progressPrinter(io: Io): (e: JobEvent) => void {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return (e) => {
    switch (e.kind) {
      case 'warning':
      case 'note':
      case 'ledger':
        io.stderr(`${e.kind}: ${e.message}\n`);
        return;
      case 'train-step': {
        if (!tty) return;
        const now = Date.now();
        if (now - last < 200 && e.step !== e.stepsPerEpoch) return;
        last = now;
        const width = 24;
        const filled = Math.round((e.step / e.stepsPerEpoch) * width);
        io.stderr(
          `\repoch ${e.epoch}/${e.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] loss ${e.loss.toFixed(4)}${e.epsilon === null ? '' : ` eps ${e.epsilon.toFixed(3)}`}   `,
        );
        return;
      }
      case 'train-epoch': {
        const acc = e.testAccuracy === null ? '' : ` test accuracy ${(100 * e.testAccuracy).toFixed(2)}%`;
        const eps = e.epsilon === null ? '' : ` epsilon ${e.epsilon.toFixed(3)}`;
        io.stderr(
          `${tty ? '\r' : ''}epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}${acc}${eps} (${e.seconds.toFixed(1)} s)${' '.repeat(20)}\n`,
        );
        return;
      }
    }
  };
}

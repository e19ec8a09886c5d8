/**
 * The Fashion-MNIST benchmarks' set-up step: the data is Debian's `dataset-fashion-mnist` package (ARCHITECTURE:
 * tests must not need it, benchmarks may install it). Installs it with apt-get when missing and running as root.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FASHION_MNIST_DIR } from '../src/ml/index.js';

/** Makes sure the Fashion-MNIST IDX files exist; returns their directory. */
export function ensureFashionMnist(dir = process.env['FASHION_MNIST_DIR'] ?? FASHION_MNIST_DIR): string {
  if (existsSync(`${dir}/train-images-idx3-ubyte.gz`) || existsSync(`${dir}/train-images-idx3-ubyte`))
    return dir;
  if (dir === FASHION_MNIST_DIR && process.getuid?.() === 0) {
    process.stderr.write('installing dataset-fashion-mnist with apt-get ...\n');
    execFileSync('apt-get', ['install', '-y', 'dataset-fashion-mnist'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return dir;
  }
  throw new Error(
    `Fashion-MNIST not found in ${dir}: run \`apt-get install -y dataset-fashion-mnist\` as root, or set FASHION_MNIST_DIR`,
  );
}

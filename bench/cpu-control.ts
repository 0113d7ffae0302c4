/**
 * The CPU a benchmark had, measured in the same run: how long two threads of a plain loop take
 * against one, right now. 1.0 means two free cores; 2.0 means the two threads shared one (other
 * jobs had the rest). Scaling figures on a shared 2-core machine mean little without it.
 */
import { Worker } from 'node:worker_threads';

const SPIN = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x);`;

export async function twoThreadControl(): Promise<number> {
  const wall = async (threads: number): Promise<number> => {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: threads }, () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(SPIN, { eval: true });
          w.once('message', () => void w.terminate().then(() => resolve()));
          w.once('error', reject);
        }),
      ),
    );
    return performance.now() - started;
  };
  const one = await wall(1);
  const two = await wall(2);
  return Number((two / one).toFixed(2));
}

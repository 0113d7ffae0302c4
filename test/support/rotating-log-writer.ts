/**
 * A log writer as a separate process, so that its writes and rotations interleave with the
 * tail's polls as on a real machine: `node --import tsx rotating-log-writer.ts <file> <lines>
 * <rotateEvery> <linesPerSecond>`. Lines carry their number (`ledger=f<n>;`). Rotations
 * alternate: copytruncate (copy, then truncate, with no write between) and rename (the writer
 * writes one more chunk into the renamed file through the descriptor it still holds, as a daemon
 * does until it reopens its log). Prints `{"written":n,"generations":[[first,end],…]}` when done:
 * the line numbers each file at the path held, in order.
 */
import { appendFileSync, closeSync, copyFileSync, openSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [file, total, rotateEvery, rate] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const CHUNK = 500;

const ledgerLine = (n: number) => `<13>Dec  7 12:00:00 rotation-test app[1]: ledger=f${n}; a line of a followed file\n`;

let written = 0;
const chunk = () => {
  let text = '';
  for (let k = 0; k < CHUNK; k++) text += ledgerLine(written++);
  return text;
};

writeFileSync(file, '');
let generation = 0;
const generations: [number, number][] = [];
let generationStart = 0;
const begun = performance.now();
while (written < total) {
  appendFileSync(file, chunk());
  if (written % rotateEvery === 0 && written < total) {
    generation++;
    generations.push([generationStart, written]);
    const rotated = `${file}.${generation}`;
    if (generation % 2 === 1) {
      copyFileSync(file, rotated);
      truncateSync(file, 0);
    } else {
      const held = openSync(file, 'a');
      renameSync(file, rotated);
      writeFileSync(file, '');
      writeSync(held, chunk());
      closeSync(held);
    }
    generationStart = written;
  }
  const ahead = written / rate - (performance.now() - begun) / 1000;
  if (ahead > 0) await sleep(ahead * 1000);
}
generations.push([generationStart, written]);
process.stdout.write(`${JSON.stringify({ written, generations })}\n`);

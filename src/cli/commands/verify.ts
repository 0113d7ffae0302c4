/**
 * `vigil verify [--json]`: checks the event chain of the whole store (docs/history.md) and names
 * every edited, deleted, reordered or inserted event and every damaged batch, checkpoint or
 * retention run. Through the running server, or on the data folder (read-only) when none runs.
 * Exit code: 0 intact, 2 problems found, 1 the check itself could not run.
 */
import { Command } from 'commander';
import type { ChainReport } from '../../core/history.js';
import type { CommonOptions } from '../cli-context.js';
import { configOption, dataOption, tokenOption } from '../cli-options.js';
import { viaServerOrStore } from '../store-or-server.js';
import { escapeForTerminal } from '../terminal-escape.js';

/** Tampering found: distinct from 1 (an error), so scripts can tell "broken" from "could not check". */
export const TAMPERING_EXIT_CODE = 2;

export function verifyCommand(): Command {
  return new Command('verify')
    .description('check that no stored event or batch was edited, deleted, reordered or inserted since it was written (exit code 2 if so)')
    .option('--json', 'the report as one JSON document')
    .addOption(dataOption())
    .addOption(configOption())
    .addOption(tokenOption())
    .action(async (options: CommonOptions & { json?: boolean }) => {
      const report = await viaServerOrStore(options, {
        server: (s) => s.call<ChainReport>('GET', '/api/v1/verify'),
        local: (store) => store.verifyChain(),
      });
      process.stdout.write(options.json ? JSON.stringify(report) + '\n' : verifyText(report));
      if (!report.ok) process.exitCode = TAMPERING_EXIT_CODE;
    });
}

export function verifyText(r: ChainReport): string {
  const lines: string[] = [];
  lines.push(
    r.ok
      ? `OK: the event chain is intact (${r.batches} batches, ${r.events} events, checked in ${(r.tookMs / 1000).toFixed(1)} s).`
      : `TAMPERED: ${r.problems.length}${r.problemsTruncated ? '+' : ''} problem(s) in the event chain (${r.batches} batches, ${r.events} events checked).`,
  );
  for (const p of r.problems) lines.push(`  ${p.kind.padEnd(22)} ${p.message}`);
  if (r.problemsTruncated) {
    lines.push(`  … more not listed; counts by kind: ${Object.entries(r.problemCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (r.tombstones > 0 || r.retentionRuns > 0) lines.push(`Retention: ${r.tombstones} deleted events accounted for by ${r.retentionRuns} recorded run(s).`);
  if (r.legacyEvents > 0) lines.push(`Unchained legacy events (stored before the chain existed, not covered by it): ${r.legacyEvents}.`);
  if (!r.signaturesChecked) {
    lines.push('Signatures NOT checked: no chain key in the data folder (<data>/chain-key). Hashes and links were checked; a chain rewritten as a whole would not be caught.');
  } else {
    lines.push(
      `Checkpoints: ${r.checkpoints}, last signed at batch ${r.lastSignedCheckpoint?.batch ?? 'none'}${r.lastSignedCheckpoint ? ` (${new Date(r.lastSignedCheckpoint.signedAt).toISOString()})` : ''}; ` +
        `${r.unsignedBatches} newer batch(es) not yet under a signature.`,
    );
  }
  if (r.head) lines.push(`Head: batch ${r.head.batch}, hash ${r.head.hash} (record it elsewhere to detect a later truncation).`);
  // Event ids and messages come from the database, which is what may have been tampered with.
  return lines.map((l) => escapeForTerminal(l)).join('\n') + '\n';
}

/**
 * Benchmark 1: syslog over TCP until stored, sustained, with rsyslog driven by the same
 * generator in the same run as the reference.
 */
import type { BenchResult, Figure } from './bench-result.js';
import { RSYSLOG_MISSING, findRsyslogd, measureRsyslog } from './rsyslog-reference.js';
import type { SyslogFraming } from './syslog-load.js';
import type { SyslogRunResult } from './syslog-run.js';
import { measureVigilSyslog } from './syslog-tcp-vigil.js';
import { serverUnavailable, type ServerBuild } from './vigil-server.js';

export interface SyslogTcpOptions {
  readonly durationSec: number;
  readonly build: ServerBuild;
  readonly connections: number;
  readonly framing: SyslogFraming;
  readonly log: (line: string) => void;
}

// Any fixed seed: the same lines for Vigil and rsyslog, and for every run.
const SEED = 5424;
/** Seconds to wait after the sender stops for Vigil's store to catch up (keeps a run under 6 min). */
const CATCH_UP_LIMIT_SEC = 30;

const CATCH_UP_NOTE: Record<SyslogRunResult['catchUp'], string> = {
  'caught-up': '',
  stalled: 'stopped short of sent: the rest is lost',
  'timed-out': `still catching up after ${CATCH_UP_LIMIT_SEC} s`,
};

function runFigures(name: string, unit: string, run: SyslogRunResult): Figure[] {
  const handled = run.system === 'vigil' ? 'stored' : 'written to file';
  const figures: Figure[] = [
    { label: `${name} ${handled}, sustained`, value: run.rate, unit },
    { label: `${name} ${handled}, slowest 5 s`, value: run.min5s, unit },
    { label: `${name} generator sent`, value: run.sendRate, unit: 'lines/s' },
    {
      label: `${name} catch-up after sender stopped`, value: run.catchUpSec, unit: 's',
      ...(run.catchUpSec === null ? { note: CATCH_UP_NOTE[run.catchUp] } : {}),
    },
    {
      label: run.catchUp === 'timed-out' ? `${name} not yet ${handled} (sent − ${handled})` : `${name} lost (sent − ${handled})`,
      value: run.missing, unit: 'events',
    },
    { label: `${name} peak RSS`, value: run.peakRssMiB, unit: 'MiB' },
  ];
  if (run.system === 'vigil') figures.push({ label: `${name} peak queue depth`, value: run.peakQueueDepth, unit: 'events' });
  return figures;
}

export async function benchSyslogTcp(options: SyslogTcpOptions): Promise<BenchResult> {
  const skipped: string[] = [];
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {
    connections: options.connections,
    framing: options.framing,
    server: options.build,
  };
  const common = { durationSec: options.durationSec, connections: options.connections, framing: options.framing, seed: SEED };

  let vigil: SyslogRunResult | undefined;
  const unavailable = serverUnavailable(options.build);
  if (unavailable) {
    skipped.push(`Vigil: ${unavailable}`);
  } else {
    options.log(`syslog-tcp: Vigil, ${options.connections} connections for ${options.durationSec} s...`);
    try {
      vigil = await measureVigilSyslog({ ...common, build: options.build, catchUpLimitSec: CATCH_UP_LIMIT_SEC });
      figures.push(...runFigures('Vigil', 'events/s', vigil));
      details['vigil'] = vigil;
    } catch (error) {
      skipped.push(`Vigil run failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  let rsyslog: SyslogRunResult | undefined;
  const rsyslogd = findRsyslogd();
  if (!rsyslogd) {
    skipped.push(RSYSLOG_MISSING);
  } else {
    options.log(`syslog-tcp: rsyslog reference, ${options.connections} connections for ${options.durationSec} s...`);
    try {
      rsyslog = await measureRsyslog({ ...common, rsyslogd });
      figures.push(...runFigures('rsyslog', 'lines/s', rsyslog));
      details['rsyslog'] = rsyslog;
    } catch (error) {
      skipped.push(`rsyslog reference failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  if (vigil?.rate != null && rsyslog?.rate) {
    figures.push({ label: 'Vigil / rsyslog (sustained)', value: vigil.rate / rsyslog.rate, unit: 'x' });
  }
  return { name: 'syslog-tcp', title: 'syslog over TCP → stored', durationSec: options.durationSec, figures, details, skipped };
}

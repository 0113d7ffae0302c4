/**
 * `parsers`: records per second on one core for the hand-written parsers, on real corpus data,
 * and EVTX decoding in MB/s with Debian's python3-evtx (python-evtx) decoding the same files in
 * the same run as the reference. Each figure loops over its input for about two seconds after a
 * warm-up, so the JIT has settled.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Figure } from './bench-result.js';
import { parseSyslog } from '../src/parsers/syslog/syslog-parser.js';
import { mapJsonRecord } from '../src/parsers/json/json-mapping.js';
import { ZeekTsvReader } from '../src/parsers/zeek/zeek-tsv.js';
import { addZeekEcs } from '../src/parsers/zeek/zeek-ecs.js';
import { decodeEvtx } from '../src/parsers/evtx/index.js';
import { windowsEventFields } from '../src/parsers/windows/windows-event-ecs.js';
import { parseWebLine } from '../src/parsers/web/web-log.js';
import { rate } from './steady-rate.js';

const CORPUS = process.env.VIGIL_CORPUS ?? fileURLToPath(new URL('../../shared/corpus', import.meta.url));
const SYSTEM_PYTHON = '/usr/bin/python3';


function lines(...parts: string[]): string[] {
  return readFileSync(join(CORPUS, ...parts), 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter(Boolean);
}

function files(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(suffix)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

function pythonEvtxRate(paths: string[], bytes: number): { mbPerSec: number; records: number } | string {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import Evtx.Evtx'], { stdio: 'ignore' });
  } catch {
    return 'python3-evtx missing: apt-get install -y python3-evtx';
  }
  const script = [
    'import sys, time',
    'from Evtx.Evtx import Evtx',
    'paths = sys.argv[1:]',
    'n = 0',
    't = time.perf_counter()',
    'for p in paths:',
    '    with Evtx(p) as log:',
    '        for r in log.records():',
    '            r.xml(); n += 1',
    'print(n, time.perf_counter() - t)',
  ].join('\n');
  const [records, seconds] = execFileSync(SYSTEM_PYTHON, ['-c', script, ...paths], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split(' ').map(Number);
  return { mbPerSec: bytes / (1024 * 1024) / seconds!, records: records! };
}

export async function benchParsers(log: (line: string) => void): Promise<BenchResult> {
  const figures: Figure[] = [];
  const skipped: string[] = [];
  const details: Record<string, unknown> = { corpus: CORPUS };
  if (!existsSync(CORPUS)) {
    return { name: 'parsers', title: 'Parsers, one core', durationSec: 0, figures, details, skipped: [`corpus absent: ${CORPUS}`] };
  }
  const received = Date.now();

  log('parsers: syslog RFC 3164 (loghub OpenSSH, with sshd/PAM normalisation)...');
  const bsd = lines('loghub', 'OpenSSH_2k.log');
  figures.push({ label: 'syslog RFC 3164', value: Math.round(rate(bsd.length, () => bsd.forEach((l) => parseSyslog(l, received)))), unit: 'records/s' });

  log('parsers: syslog RFC 5424 (zed wrccdc2018)...');
  const modern = lines('zed-sample-data', 'derived', 'wrccdc2018_syslog_rfc5424.log');
  figures.push({ label: 'syslog RFC 5424', value: Math.round(rate(modern.length, () => modern.forEach((l) => parseSyslog(l, received)))), unit: 'records/s' });

  log('parsers: web access log (elastic apache combined)...');
  const web = lines('elastic-examples', 'apache_access_combined.log');
  figures.push({ label: 'Apache combined access log', value: Math.round(rate(web.length, () => web.forEach((l) => parseWebLine(l)))), unit: 'records/s' });

  log('parsers: CloudTrail JSON (stratus-red-team)...');
  const trail = files(join(CORPUS, 'stratus-red-team'), '.json').flatMap((f) => {
    const v = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    const records = Array.isArray(v) ? v : ((v as { Records?: unknown[] }).Records ?? [v]);
    return records.map((r) => JSON.stringify(r));
  });
  const limits = { maxJsonDepth: 64, maxFieldsPerEvent: 1024 };
  figures.push({
    label: 'CloudTrail JSON (parse + flatten)',
    value: Math.round(rate(trail.length, () => trail.forEach((t) => mapJsonRecord(JSON.parse(t) as Record<string, unknown>, limits)))),
    unit: 'records/s',
  });

  log('parsers: Zeek TSV (zed zeek-default)...');
  const zeekFiles = files(join(CORPUS, 'zed-sample-data', 'zeek-default'), '.log').map((f) => readFileSync(f, 'utf8').split('\n'));
  const zeekRecords = zeekFiles.reduce((n, f) => n + f.filter((l) => l && !l.startsWith('#')).length, 0);
  figures.push({
    label: 'Zeek TSV (+ ECS)',
    value: Math.round(
      rate(zeekRecords, () => {
        for (const f of zeekFiles) {
          const reader = new ZeekTsvReader();
          for (const l of f) {
            if (!l || reader.header(l)) continue;
            const r = reader.record(l);
            if (r) addZeekEcs(r.fields, r.path);
          }
        }
      }),
    ),
    unit: 'records/s',
  });

  log('parsers: EVTX (corpus .evtx files) and python3-evtx on the same files...');
  const evtxPaths = [...files(join(CORPUS, 'evtx-attack-samples'), '.evtx'), ...files(join(CORPUS, 'evtx-to-mitre-attack'), '.evtx'), ...files(join(CORPUS, 'sigma', 'regression_data'), '.evtx')];
  const evtxBuffers = evtxPaths.map((p) => readFileSync(p));
  const evtxBytes = evtxBuffers.reduce((n, b) => n + b.length, 0);
  const evtxRecords = evtxBuffers.reduce((n, b) => n + decodeEvtx(b).records.length, 0);
  const vigilBytesPerSec = rate(evtxBytes, () => evtxBuffers.forEach((b) => decodeEvtx(b)));
  const vigilMb = vigilBytesPerSec / (1024 * 1024);
  figures.push({ label: 'EVTX decode (file bytes)', value: Math.round(vigilMb), unit: 'MB/s', note: `${evtxPaths.length} files, ${evtxRecords} records` });
  figures.push({ label: 'EVTX decode', value: Math.round((vigilBytesPerSec / evtxBytes) * evtxRecords), unit: 'records/s' });
  figures.push({
    label: 'EVTX decode + Windows ECS',
    value: Math.round(rate(evtxRecords, () => evtxBuffers.forEach((b) => decodeEvtx(b).records.forEach((r) => windowsEventFields(r.event))))),
    unit: 'records/s',
  });
  const python = pythonEvtxRate(evtxPaths, evtxBytes);
  if (typeof python === 'string') skipped.push(python);
  else {
    figures.push({ label: 'python3-evtx decode (reference, XML)', value: Math.round(python.mbPerSec * 10) / 10, unit: 'MB/s', note: `${python.records} records` });
    figures.push({ label: 'EVTX Vigil / python3-evtx', value: Math.round((vigilMb / python.mbPerSec) * 10) / 10, unit: 'x' });
  }
  details['evtx'] = { files: evtxPaths.length, bytes: evtxBytes, records: evtxRecords };
  return { name: 'parsers', title: 'Parsers, one core, real corpus data', durationSec: 2, figures, details, skipped };
}

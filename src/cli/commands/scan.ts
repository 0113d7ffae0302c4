/**
 * `vigil scan <files|dirs> --rules <dir>`: one-shot detection over log files, as Hayabusa and
 * Chainsaw do for forensics, with no server and no store. Files are read in every format
 * `vigil ingest` reads (detected per file); every event meets the rules as it would live.
 */
import { Command, Option } from 'commander';
import type { Event, FieldValue } from '../../core/event.js';
import { jsonRecordMapping } from '../../parsers/json/index.js';
import { FILE_FORMATS, type FileFormat } from '../../sources/file/file-records.js';
import { checkFile } from '../../sources/file/file-check.js';
import { DetectionRun, type Detection } from '../../detect/detection.js';
import { loadRules } from '../../detect/sigma/rule-loader.js';
import { builtinPlaceholders, rulePaths } from '../../detect/builtin-rules.js';
import { LogsourceMap } from '../../detect/sigma/logsource-map.js';
import { GeoIpEnricher } from '../../enrich/geoip/geoip-enricher.js';
import { VigilError } from '../../core/errors.js';
import { escapeForTerminal } from '../terminal-escape.js';
import { inputFiles } from '../input-files.js';

interface ScanOptions {
  rules: string[];
  builtin: boolean;
  format: FileFormat | 'auto';
  json?: boolean;
  logsources: string[];
  minLevel: string;
  geoip: boolean;
}

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];

export function scanCommand(): Command {
  return new Command('scan')
    .description('run Sigma rules over log files (any format vigil reads) and print the detections; stores nothing')
    .argument('<paths...>', 'files or folders of logs')
    .option('--rules <path...>', 'folders or files of Sigma rules (e.g. a checkout of SigmaHQ/sigma/rules)', [])
    .option('--no-builtin', "leave out Vigil's built-in rule pack (config/rules)")
    .addOption(new Option('--format <format>', 'force a format instead of detecting it per file').choices(['auto', ...FILE_FORMATS]).default('auto'))
    .option('--logsources <file...>', 'extra log-source mapping files (format of config/sigma/logsources.yml)', [])
    .addOption(new Option('--min-level <level>', 'leave out detections below this level').choices(LEVELS).default('informational'))
    .option('--no-geoip', 'leave out GeoIP and ASN enrichment (source.geo.*, source.as.*) before the rules run')
    .option('--json', 'NDJSON, one detection per line: {"rule":{"id","title","level","author","tags"},"timestamp","host","event":{…}}')
    .action(async (paths: string[], options: ScanOptions) => {
      const files = inputFiles(paths);
      const rulesToLoad = rulePaths(options.builtin, options.rules);
      const ruleSet = loadRules(rulesToLoad, { placeholders: builtinPlaceholders() });
      if (ruleSet.rules.length === 0) {
        throw new VigilError('not-found', `no usable Sigma rules in ${rulesToLoad.join(', ') || '(none given; pass --rules)'} (${ruleSet.failed.length} failed to load; see vigil rules lint)`);
      }
      const run = new DetectionRun(ruleSet, LogsourceMap.load(options.logsources));
      // As live: rules see the event enriched (bundled GeoIP data; `serve` reads enrich.geoip).
      const geoip = options.geoip ? GeoIpEnricher.open() : undefined;
      const minRank = LEVELS.indexOf(options.minLevel);
      const counts = new Map<string, number>();
      let events = 0;
      const table: string[][] = [];
      const emit = (d: Detection) => {
        if (LEVELS.indexOf(d.rule.level) < minRank) return;
        counts.set(d.rule.level, (counts.get(d.rule.level) ?? 0) + 1);
        if (options.json) process.stdout.write(JSON.stringify(detectionJson(d)) + '\n');
        else table.push(detectionRow(d));
      };
      const started = performance.now();
      for (const file of files) {
        await checkFile(file, options.format, jsonRecordMapping, (event) => {
          events++;
          const scanned: Event = { ...event, tenant: 'scan' };
          for (const d of run.process(geoip ? geoip.enrichEvent(scanned) : scanned)) emit(d);
        });
      }
      for (const d of run.flush()) emit(d);
      const seconds = (performance.now() - started) / 1000;
      const summary = `${events} events from ${files.length} file(s) in ${seconds.toFixed(1)} s; ${ruleSet.rules.length} rules, ${ruleSet.correlations.length} correlations (${ruleSet.failed.length} failed to load, ${ruleSet.skipped.length} skipped, ${run.engine.unrouted.length} without a log source mapping)`;
      const byLevel = [...LEVELS].reverse().map((l) => `${l} ${counts.get(l) ?? 0}`).join(', ');
      if (options.json) {
        process.stderr.write(`${summary}\ndetections: ${byLevel}\n`);
        return;
      }
      table.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
      process.stdout.write(formatTable(['time', 'level', 'rule', 'author', 'host', 'user', 'details'], table));
      process.stdout.write(`\n${summary}\ndetections: ${byLevel}\n`);
    });
}

/** What `--json` prints for one detection. */
export function detectionJson(d: Detection): Record<string, unknown> {
  const rule = { id: d.rule.id, title: d.rule.title, level: d.rule.level, author: d.rule.author, tags: d.rule.tags };
  if (d.kind === 'rule') {
    return { rule, timestamp: new Date(d.time).toISOString(), host: hostOf(d.event), event: { id: d.event.id, source: d.event.source.address, format: d.event.format, fields: d.event.fields } };
  }
  if (d.kind === 'behaviour') {
    return { rule: { ...rule, behaviour: d.hit.type }, timestamp: new Date(d.time).toISOString(), group: d.hit.group, value: d.hit.value, observed: d.hit.observed, events: d.eventIds };
  }
  return {
    rule: { ...rule, correlation: d.hit.type },
    timestamp: new Date(d.time).toISOString(),
    window: { start: new Date(d.hit.windowStart).toISOString(), end: new Date(d.hit.windowEnd).toISOString() },
    group: d.hit.group,
    value: d.hit.value,
    events: d.eventIds,
  };
}

export function detectionRow(d: Detection): string[] {
  const time = new Date(d.time).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (d.kind === 'correlation') {
    const group = Object.entries(d.hit.group).map(([k, v]) => `${k}=${v}`).join(' ');
    return [time, d.rule.level, d.rule.title, d.rule.author, '', '', `${d.hit.type} ${d.hit.value} (${d.eventIds.length} events) ${group}`];
  }
  if (d.kind === 'behaviour') {
    const group = Object.entries(d.hit.group).map(([k, v]) => `${k}=${v}`).join(' ');
    const g = d.hit.group;
    return [time, d.rule.level, d.rule.title, d.rule.author, String(g['host.name'] ?? ''), String(g['user.name'] ?? ''), `${d.hit.type} ${d.hit.value} ${group}`];
  }
  return [time, d.rule.level, d.rule.title, d.rule.author, hostOf(d.event) ?? '', userOf(d.event) ?? '', detailsOf(d)];
}

function text(v: FieldValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.join(' ') : String(v);
}

function hostOf(e: Event): string | undefined {
  return text(e.fields['host.name'] ?? e.fields['Computer'] ?? e.fields['Hostname']);
}

function userOf(e: Event): string | undefined {
  return text(e.fields['user.name'] ?? e.fields['TargetUserName'] ?? e.fields['SubjectUserName'] ?? e.fields['User']);
}

const DETAIL_FIELDS = [
  'CommandLine', 'process.command_line', 'Image', 'ServiceName', 'ImagePath', 'TargetFilename', 'TargetObject', 'Details', 'QueryName',
  'DestinationIp', 'TargetImage', 'ObjectName', 'ShareName', 'IpAddress', 'eventName', 'url.original', 'source.ip', 'message',
];

/** The rule's own `fields:` first, then the fields that usually say what happened. */
function detailsOf(d: Detection & { kind: 'rule' }): string {
  const f = d.event.fields;
  const names = d.rule.fields.length > 0 ? d.rule.fields : DETAIL_FIELDS;
  const parts: string[] = [];
  for (const n of names) {
    const v = text(f[n]);
    if (v !== undefined && v !== '') parts.push(`${n}: ${v}`);
    if (parts.length === 2) break;
  }
  return parts.join(' · ');
}

export function formatTable(header: string[], rows: string[][]): string {
  const MAX = [20, 13, 72, 24, 24, 20, 110];
  const clip = (s: string, i: number) => {
    const clean = escapeForTerminal(s);
    return clean.length > MAX[i]! ? `${clean.slice(0, MAX[i]! - 1)}…` : clean;
  };
  const cells = [header, ...rows].map((r) => r.map(clip));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

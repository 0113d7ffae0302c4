/**
 * Playbooks: guarded automated responses, one YAML document per file.
 *
 * ```yaml
 * name: block-ssh-brute-force-source
 * description: Block the guessing address at the edge firewall for an hour.
 * when:                                   # which alerts start it (all given must hold)
 *   rules: [d89356b4-4e74-4ea5-a187-9a51354d3d06]   # rule ids
 *   minLevel: medium
 *   tags: [attack.t1110]
 * requires: [entities.source.ip]          # alert fields that must be present (else: skipped, recorded)
 * maxRunsPerHour: 10                      # blast-radius limit; further alerts are refused and recorded
 * approval: required                      # default for playbooks with a destructive step
 * steps:
 *   - name: block
 *     destructive: true
 *     run: { program: /usr/sbin/nft, args: [add, element, inet, filter, blocklist, '{ {{entities.source.ip}} }'] }
 *     revert:
 *       after: 1h
 *       run: { program: /usr/sbin/nft, args: [delete, element, inet, filter, blocklist, '{ {{entities.source.ip}} }'] }
 *   - name: ticket
 *     http: { method: POST, url: 'https://tickets.example.com/api/issues', body: '{"title": "{{rule.title}}"}', allow: [] }
 * ```
 *
 * Arguments are separate strings, each a logic-less template over the alert (no shell ever sees
 * them; event content is only looked up, never evaluated). A value filled into an argument may not
 * start with `-` (it would become an option) nor hold control characters; such a run is refused.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { VigilError } from '../../core/errors.js';
import { MessageTemplate, TemplateError } from '../notify/message-template.js';

const DURATION = /^(\d{1,6})([smhd])$/;
const UNIT: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

const runSpec = z.strictObject({
  /** An absolute path: no PATH lookup, so what runs is what the file names. */
  program: z.string().regex(/^\//, 'an absolute path, e.g. /usr/sbin/nft'),
  args: z.array(z.string().max(4096)).max(64).default([]),
  timeoutSeconds: z.number().int().positive().max(600).default(30),
});

const httpSpec = z.strictObject({
  method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  url: z.string().min(1),
  body: z.string().max(65_536).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /** Networks or hosts this call may reach although the outbound guard refuses them (docs/notifications.md). */
  allow: z.array(z.string()).default([]),
  timeoutSeconds: z.number().int().positive().max(120).default(10),
});

const stepSpec = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
    destructive: z.boolean().default(false),
    run: runSpec.optional(),
    http: httpSpec.optional(),
    revert: z
      .strictObject({
        after: z.string().regex(DURATION, 'a duration such as 30m, 1h or 1d'),
        run: runSpec.optional(),
        http: httpSpec.optional(),
      })
      .optional(),
  })
  .refine((s) => (s.run === undefined) !== (s.http === undefined), 'a step has exactly one of run or http')
  .refine((s) => s.revert === undefined || (s.revert.run === undefined) !== (s.revert.http === undefined), 'a revert has exactly one of run or http');

const playbookSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
  description: z.string().max(2000).default(''),
  enabled: z.boolean().default(true),
  when: z
    .strictObject({
      rules: z.array(z.string().min(1)).default([]),
      minLevel: z.enum(LEVELS).default('informational'),
      tags: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  requires: z.array(z.string().min(1)).default([]),
  maxRunsPerHour: z.number().int().min(1).max(10_000).default(10),
  approval: z.enum(['required', 'not-required']).optional(),
  dryRun: z.boolean().default(false),
  steps: z.array(stepSpec).min(1).max(20),
});

export type RunSpec = z.infer<typeof runSpec>;
export type HttpSpec = z.infer<typeof httpSpec>;

export interface PlaybookStep {
  readonly name: string;
  readonly destructive: boolean;
  readonly run?: RunSpec | undefined;
  readonly http?: HttpSpec | undefined;
  readonly revert?: { readonly afterMs: number; readonly run?: RunSpec | undefined; readonly http?: HttpSpec | undefined } | undefined;
  /** Parsed once, so a bad template fails at load. */
  readonly templates: ReadonlyMap<string, MessageTemplate>;
}

export interface Playbook {
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly when: { readonly rules: readonly string[]; readonly minLevel: (typeof LEVELS)[number]; readonly tags: readonly string[] };
  readonly requires: readonly string[];
  readonly maxRunsPerHour: number;
  /** Required unless the file says otherwise; the default when any step is destructive. */
  readonly approvalRequired: boolean;
  readonly dryRun: boolean;
  readonly steps: readonly PlaybookStep[];
  readonly file: string;
}

export function readPlaybook(doc: unknown, file: string): Playbook {
  const parsed = playbookSpec.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VigilError('config-invalid', `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, { where: file });
  }
  const p = parsed.data;
  const steps = p.steps.map((s, i) => {
    const templates = new Map<string, MessageTemplate>();
    const add = (text: string, where: string) => {
      if (templates.has(text)) return;
      try {
        templates.set(text, new MessageTemplate(text));
      } catch (e) {
        if (e instanceof TemplateError) throw new VigilError('config-invalid', `${file}: steps.${i}.${where}: ${e.message}`, { where: file });
        throw e;
      }
    };
    const collect = (run: RunSpec | undefined, http: HttpSpec | undefined, where: string) => {
      for (const [j, a] of (run?.args ?? []).entries()) add(a, `${where}.args.${j}`);
      if (http) {
        add(http.url, `${where}.url`);
        if (http.body !== undefined) add(http.body, `${where}.body`);
        for (const [k, v] of Object.entries(http.headers)) add(v, `${where}.headers.${k}`);
      }
    };
    collect(s.run, s.http, s.run ? 'run' : 'http');
    if (s.revert) collect(s.revert.run, s.revert.http, 'revert');
    const m = s.revert ? DURATION.exec(s.revert.after)! : undefined;
    return {
      name: s.name,
      destructive: s.destructive,
      run: s.run,
      http: s.http,
      revert: s.revert && m ? { afterMs: Number(m[1]) * UNIT[m[2]!]!, run: s.revert.run, http: s.revert.http } : undefined,
      templates,
    };
  });
  return {
    name: p.name,
    description: p.description,
    enabled: p.enabled,
    when: p.when,
    requires: p.requires,
    maxRunsPerHour: p.maxRunsPerHour,
    approvalRequired: p.approval === undefined ? steps.some((s) => s.destructive) : p.approval === 'required',
    dryRun: p.dryRun,
    steps,
    file,
  };
}

/** Every playbook in the given files and folders (`.yml`/`.yaml`); a broken file stops the start with its reason. */
export function loadPlaybooks(paths: readonly string[]): Playbook[] {
  const out: Playbook[] = [];
  const names = new Set<string>();
  for (const root of paths) {
    let files: string[];
    try {
      files = statSync(root).isDirectory()
        ? readdirSync(root)
            .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
            .sort()
            .map((f) => join(root, f))
        : [root];
    } catch (e) {
      throw new VigilError('config-invalid', `response.playbooks: cannot read ${root}: ${(e as Error).message}`, { where: 'response.playbooks' });
    }
    for (const file of files) {
      const docs = parseAllDocuments(readFileSync(file, 'utf8'));
      for (const doc of Array.isArray(docs) ? docs : []) {
        if (doc.errors.length > 0) throw new VigilError('config-invalid', `${file}: YAML: ${doc.errors[0]!.message.split('\n')[0]}`, { where: file });
        const value: unknown = doc.toJS({ maxAliasCount: 10 });
        if (value === null || value === undefined) continue;
        const p = readPlaybook(value, file);
        if (names.has(p.name)) throw new VigilError('config-invalid', `${file}: playbook name ${p.name} is used twice`, { where: file });
        names.add(p.name);
        out.push(p);
      }
    }
  }
  return out;
}

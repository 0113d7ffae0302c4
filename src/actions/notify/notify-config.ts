/**
 * The `notifications:` section of vigil.yaml: destinations, routes and retry. Kept apart from
 * src/core/config.ts until the server wires notifications in; docs/notifications.md documents
 * every option. Everything that can be checked without the network is checked here (URL syntax,
 * allow lists, templates, route names); `vetDestinations` adds the DNS check at save time.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { VigilError } from '../../core/errors.js';
import { OutboundPolicy, OutboundRefusedError, parseOutboundUrl, resolveVetted, systemResolver, vetUrl, type Resolver } from '../outbound/outbound-guard.js';
import { MessageTemplate, TemplateError } from './message-template.js';
import { LEVELS } from './notification-router.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, _ and -');

const outboundUrl = z.string().superRefine((s, ctx) => {
  try {
    parseOutboundUrl(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const allowList = z
  .array(z.string().min(1))
  .default([])
  .superRefine((entries, ctx) => {
    try {
      new OutboundPolicy(entries);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

const template = z.string().superRefine((s, ctx) => {
  try {
    new MessageTemplate(s);
  } catch (e) {
    if (e instanceof TemplateError) ctx.addIssue({ code: 'custom', message: e.message });
    else throw e;
  }
});

const port = z.number().int().min(1).max(65535);
const hostName = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.:-]+)$/, 'a host name or address');
const mailbox = z.string().regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+$/, 'a plain address such as soc@example.com');

const common = {
  name,
  /** Networks (CIDR) and host names this destination may reach although the guard refuses them. */
  allow: allowList,
  template: template.optional(),
};

const webhook = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: outboundUrl,
  /** HMAC-SHA256 key for X-Vigil-Signature; or `secretFile`. */
  secret: z.string().min(16, 'at least 16 characters').optional(),
  secretFile: z.string().min(1).optional(),
});
const slack = z.strictObject({ ...common, type: z.literal('slack'), url: outboundUrl });
const teams = z.strictObject({ ...common, type: z.literal('teams'), url: outboundUrl, card: z.enum(['messagecard', 'adaptive']).default('messagecard') });
const email = z.strictObject({
  ...common,
  type: z.literal('email'),
  smtp: z.strictObject({
    host: hostName,
    port: port.default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS is required when the server offers it. */
    secure: z.boolean().default(false),
    user: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
  }),
  from: mailbox,
  to: z.array(mailbox).min(1, 'at least one recipient'),
});
const syslog = z.strictObject({
  ...common,
  type: z.literal('syslog'),
  syslog: z.strictObject({
    host: hostName,
    port: port.default(514),
    transport: z.enum(['tcp', 'udp']).default('tcp'),
    /** Syslog facility number (RFC 5424 §6.2.1); 4 is security/authorization. */
    facility: z.number().int().min(0).max(23).default(4),
  }),
});

export const destinationSchema = z.discriminatedUnion('type', [webhook, slack, teams, email, syslog]);

const routeSchema = z.strictObject({
  destinations: z.array(name).min(1, 'name at least one destination'),
  minLevel: z.enum(LEVELS).default('informational'),
  /** Globs over the rule id or title (`*` any text, `?` one character), case-insensitive; empty matches all. */
  rules: z.array(z.string().min(1)).default([]),
  /** Globs over alert tags (`attack.credential-access`, `attack.t1110*`); empty matches all. */
  tags: z.array(z.string().min(1)).default([]),
});

export const retrySchema = z
  .strictObject({
    maxTries: z.number().int().min(1).max(100).default(8),
    baseDelayMs: z.number().int().min(1).default(1000),
    maxDelayMs: z.number().int().min(1).default(300_000),
  })
  .refine((r) => r.maxDelayMs >= r.baseDelayMs, 'maxDelayMs must be at least baseDelayMs');

export const notificationsSchema = z
  .strictObject({
    destinations: z.array(destinationSchema).default([]),
    routes: z.array(routeSchema).default([]),
    retry: retrySchema.default({ maxTries: 8, baseDelayMs: 1000, maxDelayMs: 300_000 }),
    /** Deliveries waiting per destination before new ones are dropped (and counted). */
    maxPending: z.number().int().min(1).default(10_000),
    /** One delivery attempt, connect to last byte. */
    timeoutMs: z.number().int().min(100).default(10_000),
  })
  .superRefine((n, ctx) => {
    const names = new Set<string>();
    n.destinations.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'name'], message: `destination '${d.name}' is defined twice` });
      names.add(d.name);
      if (d.type === 'webhook' && (d.secret === undefined) === (d.secretFile === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['destinations', i], message: 'a webhook needs exactly one of secret or secretFile (the key receivers verify X-Vigil-Signature with)' });
      }
    });
    n.routes.forEach((r, i) =>
      r.destinations.forEach((d, j) => {
        if (!names.has(d)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'destinations', j], message: `no destination is named '${d}'` });
      }),
    );
  });

export type NotificationsConfig = z.infer<typeof notificationsSchema>;
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;

/** Validates the section; errors name the key (`notifications.destinations.0.url`) and what to write. */
export function parseNotificationsConfig(input: unknown, where = 'vigil.yaml'): NotificationsConfig {
  const result = notificationsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = ['notifications', ...issue.path.map(String)].join('.');
  throw new VigilError('config-invalid', `${key}: ${issue.message}`, { where: `${where}: ${key}` });
}

/**
 * Save-time network check: every destination's host resolves, and only to addresses its allow
 * list permits. Send time checks again (the answer may change); this catches mistakes early.
 */
export async function vetDestinations(config: NotificationsConfig, resolver: Resolver = systemResolver): Promise<void> {
  for (const [i, d] of config.destinations.entries()) {
    const policy = new OutboundPolicy(d.allow);
    try {
      if (d.type === 'email') await resolveVetted(stripBrackets(d.smtp.host), policy, resolver);
      else if (d.type === 'syslog') await resolveVetted(stripBrackets(d.syslog.host), policy, resolver);
      else await vetUrl(d.url, policy, resolver);
    } catch (e) {
      if (!(e instanceof OutboundRefusedError)) throw e;
      const key = `notifications.destinations.${i}`;
      throw new VigilError('config-invalid', `${key} ('${d.name}'): ${e.message}`, { where: key, cause: e });
    }
  }
}

export function stripBrackets(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** Reads a secret or password file, trimming the trailing newline editors add. */
export function readSecretFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new VigilError('config-invalid', `${key}: cannot read '${path}' (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { where: key, cause: e });
  }
}

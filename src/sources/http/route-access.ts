/**
 * Who may call a route, declared on the route itself (`config.access`) and enforced by one
 * hook in `src/api/auth`. A route that declares nothing needs an admin token: forgetting the
 * declaration fails closed. Routes also name the input they count under in metrics.
 */
import type { FastifyRequest } from 'fastify';
import type { AuditAction } from '../../core/audit.js';
import type { Role } from '../../core/store.js';
import type { BodyShape } from './body-shape-guard.js';
import { VigilError } from '../../core/errors.js';

/**
 * - `public`: no token (`/healthz`, HEC health, login);
 * - `any`: any valid token or session (the not-found answer, so a 404 reveals nothing without one);
 * - `ingest`: ingest and admin; `viewer`: viewer, analyst and admin (read-only console routes);
 *   `analyst`: analyst and admin; `admin`: admin only.
 */
export type RouteAccess = 'public' | 'any' | 'ingest' | 'viewer' | 'analyst' | 'admin';

/** Metrics label of an HTTP input. */
export type HttpInput = 'http' | 'hec' | 'bulk' | 'file' | 'api';

/** The caller, from its token or its session. The tenant is never taken from the request. */
export interface Principal {
  readonly kind: 'token' | 'user';
  /** Set for tokens. */
  readonly tokenId?: string;
  /** Set for users (session cookie). */
  readonly userId?: string;
  /** Who did it, in alert histories and audit trails: the token's name, or the user's name. */
  readonly tokenName: string;
  readonly tenant: string;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    input?: HttpInput;
    /** Recorded in the audit trail when the route is called (src/api/audit), with its outcome. */
    audit?: AuditAction;
    /** Callable by a user who must still change its password (the session routes). */
    passwordChangeExempt?: boolean;
    /** The JSON format of the body: refused while it streams in once its shape is refused (body-reader.ts). */
    bodyShape?: BodyShape;
  }
  interface FastifyRequest {
    /** Set by the auth hook before the body is read; null on public routes. */
    principal: Principal | null;
    /** Who the credential names, set even when the route then refuses it (the audit trail records refusals). */
    auditActor: Principal | null;
    /** What a handler adds to its audit entry (the query of a search, the verdict of a triage). */
    auditDetails: Record<string, unknown> | null;
    /** The caller's session when it came with the session cookie (the id only lives here, for this request). */
    consoleSession: { readonly idHash: string; readonly id: string } | null;
  }
}

export function roleMayAccess(role: Role, access: RouteAccess): boolean {
  switch (access) {
    case 'public':
    case 'any':
      return true;
    case 'ingest':
      return role === 'ingest' || role === 'admin';
    case 'viewer':
      return role === 'viewer' || role === 'analyst' || role === 'admin';
    case 'analyst':
      return role === 'analyst' || role === 'admin';
    case 'admin':
      return role === 'admin';
  }
}

/** The authenticated caller of a non-public route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new VigilError('internal', 'route reached without authentication; declare its config.access');
  return request.principal;
}

/** The access a route declared; undeclared routes need admin. */
export function accessOf(request: FastifyRequest): RouteAccess {
  const route = request.routeOptions; // a getter that builds a new object each time
  if (route.url === undefined) return 'any';
  return route.config.access ?? 'admin';
}

export function inputOf(request: FastifyRequest): HttpInput {
  return request.routeOptions.config.input ?? 'api';
}

/**
 * Microsoft Azure and Entra ID (Azure AD) logs. Native names stay, flattened with dots as every
 * JSON record is (`properties.status.errorCode`); ECS names are added beside them, as in
 * Elastic's Azure integration (`event.dataset` azure.activitylogs, azure.signinlogs,
 * azure.auditlogs, azure.platformlogs).
 *
 * Shapes:
 * - diagnostic settings (storage account, Event Hub; the common resource-log schema: `time`,
 *   `resourceId`, `operationName`, `category`, `resultType`, `callerIpAddress`, `properties`):
 *   - Activity Log (`category` Administrative, Security, Policy…): `activity`;
 *   - Entra sign-ins (`category` SignInLogs, NonInteractiveUserSignInLogs,
 *     ServicePrincipalSignInLogs, ManagedIdentitySignInLogs…): `signin`;
 *   - Entra audit logs (`category` AuditLogs, `properties.activityDisplayName`): `audit`;
 *   - any other resource log (Storage, Key Vault…): `resource`, provider, action and outcome only.
 *   Some exporters write the top-level names in lower case (`operationname`, `resulttype`); both
 *   spellings are read.
 * - the Activity Log REST API / `az monitor activity-log list` (`operationName.value`,
 *   `eventTimestamp`, `caller`, `status.value`): `activity-rest`;
 * - Microsoft Graph `auditLogs/signIns` (`createdDateTime`, `userPrincipalName`,
 *   `status.errorCode`): `graph-signin`; `auditLogs/directoryAudits` (`activityDisplayName`,
 *   `activityDateTime`, `loggedByService`): `graph-audit`.
 * The Event Hub envelope `{"records": […]}` is split into its records before it gets here when
 * it is a multi-line JSON document in a file (src/sources/file/file-records.ts); on one line,
 * or as an HTTP body, it is not split yet and stays one record.
 *
 * Sigma's Azure rules (rules/cloud/azure) are written against the Log Analytics / Sentinel
 * column names, not the exported ones. Where a rule's name is not already in the record, it is
 * added as an alias (never overwriting a field the record has):
 *
 * | alias | from | shapes |
 * | --- | --- | --- |
 * | `ResultType` | sign-ins: `status.errorCode` (a number, `0` = success), else `resultType` | all diagnostic, Graph sign-ins |
 * | `ResultDescription` | `resultDescription`, else the sign-in's `status.failureReason` | all diagnostic, Graph sign-ins |
 * | `ResourceId` | `resourceId` | diagnostic, REST |
 * | `OperationName` | the operation name (`operationName.localizedValue` in REST, `activityDisplayName` in Graph) | all but sign-ins |
 * | `OperationNameValue`, `CategoryValue`, `ResourceProviderValue` | operation, Activity Log category (`properties.eventCategory`, `category`), provider namespace | activity, REST |
 * | `operationName` | `operationName.value` (REST, or any record whose operation is an object), `activityDisplayName` (Graph audit): the exported name | REST, Graph audit |
 * | `Status` | `Success`/`Failure`, followed (as an array) by the failure reason, `status.additionalDetails` or the audit's `resultReason` when there are any | sign-ins, audit |
 * | `AuthenticationRequirement`, `ResourceDisplayName`, `RiskState`, `ClientApp` (clientAppUsed), `conditionalAccessStatus`, `userAgent`, `Username` (UPN), `Location` (country) | the sign-in's own fields | sign-ins |
 * | `DeviceDetail.*` | `deviceDetail.*` | sign-ins |
 * | `NetworkLocationDetails` | `networkLocationDetails` as JSON text (`[]` when empty) | sign-ins |
 * | `ActivityDetails` | `Sign-ins` | sign-ins |
 * | `properties.message` | the activity display name (the Activity Log has its own `properties.message`) | audit |
 * | `ActivityDisplayName`, `Category` (directory category: UserManagement…), `LoggedByService` | the audit's own fields | audit |
 * | `Initiatedby`, `Target` | the initiator's UPN (or app name); the targets' UPNs or display names | audit |
 * | `TargetResources`, `TargetResources.modifiedProperties` | `targetResources`, and their `modifiedProperties`, as JSON text | audit |
 * | `TargetResources.modifiedProperties.newValue`, `TargetResources.ModifiedProperties.DisplayName`/`NewValue`, `targetResources.type` | arrays of those values over all targets | audit |
 * | `ConsentContext.*` | the `ConsentContext.*` modified properties' new values (consent to an application) | audit |
 * | `properties.targetResources`, `properties.result` | `targetResources`, `result`: the exported names | Graph audit |
 */
import { isIP } from 'node:net';
import type { FieldValue, Fields } from '../../core/event.js';
import { parseTimestamp } from '../json/event-time.js';

export type AzureShape = 'activity' | 'activity-rest' | 'resource' | 'signin' | 'graph-signin' | 'audit' | 'graph-audit';

type Outcome = 'success' | 'failure' | 'unknown';

function put(fields: Fields, key: string, value: FieldValue | undefined): void {
  if (value === undefined || value === null || value === '' || key in fields) return;
  if (Array.isArray(value) && value.length === 0) return;
  fields[key] = value;
}

function str(value: FieldValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A top-level name of the common schema, in either spelling (`resultType`, `resulttype`). */
function top(fields: Fields, name: string): FieldValue | undefined {
  return fields[name] ?? fields[name.toLowerCase()];
}

/** `/subscriptions/<id>…` (ARM), `/tenants/<id>…` (Entra ID), `/providers/Microsoft.…` (tenant-level ARM). */
const AZURE_RESOURCE_ID = /^\/(?:(?:subscriptions|tenants)\/[^/]+|providers\/microsoft\.)/i;
const RESOURCE_ID_SCOPE = /^\/(subscriptions|tenants)\/([^/]+)/i;
const SIGNIN_CATEGORIES = new Set(['signinlogs', 'noninteractiveusersigninlogs', 'serviceprincipalsigninlogs', 'managedidentitysigninlogs', 'adfssigninlogs']);
/** Activity Log categories (and the operation types the storage schema once put there). */
const ACTIVITY_CATEGORIES = new Set(['administrative', 'security', 'policy', 'servicehealth', 'resourcehealth', 'alert', 'autoscale', 'recommendation', 'write', 'delete', 'action']);

/** Which Azure shape the flattened record is, if any. Cheap property tests first. */
export function azureShapeOf(fields: Fields): AzureShape | undefined {
  if (typeof fields['operationName.value'] === 'string' && ('eventTimestamp' in fields || 'eventDataId' in fields)) return 'activity-rest';
  const op = operationOf(fields);
  if (op !== undefined && isDiagnosticRecord(fields, op)) {
    const category = (str(fields['category']) ?? str(fields['category.value']) ?? '').toLowerCase();
    if (SIGNIN_CATEGORIES.has(category) || op === 'Sign-in activity') return 'signin';
    if (category === 'auditlogs' || typeof fields['properties.activityDisplayName'] === 'string' || typeof fields['properties.loggedByService'] === 'string') return 'audit';
    if (ACTIVITY_CATEGORIES.has(category) || 'properties.eventCategory' in fields || (category === '' && /^microsoft\.[^/]+\/./i.test(op))) return 'activity';
    return 'resource';
  }
  if (typeof fields['createdDateTime'] === 'string' && 'status.errorCode' in fields && (typeof fields['userPrincipalName'] === 'string' || typeof fields['appId'] === 'string')) return 'graph-signin';
  if (typeof fields['activityDisplayName'] === 'string' && 'activityDateTime' in fields && typeof fields['loggedByService'] === 'string') return 'graph-audit';
  return undefined;
}

/** The operation name: a string, or (in records half-way to the REST shape) `{value, localizedValue}`. */
function operationOf(fields: Fields): string | undefined {
  return str(top(fields, 'operationName')) ?? str(fields['operationName.value']);
}

/**
 * The common resource-log schema: an operation plus an Azure resource id, or Azure's own names
 * for the caller and tenant. `category` alone, or `operationName` alone, is not enough.
 */
function isDiagnosticRecord(fields: Fields, op: string): boolean {
  const rid = top(fields, 'resourceId');
  if (typeof rid === 'string' && AZURE_RESOURCE_ID.test(rid)) return true;
  const category = fields['category'];
  if (typeof top(fields, 'callerIpAddress') === 'string' && 'time' in fields && (typeof category === 'string' || typeof top(fields, 'correlationId') === 'string')) return true;
  if (typeof top(fields, 'tenantId') === 'string' && typeof category === 'string') return true;
  return op === 'Sign-in activity' && typeof category === 'string' && SIGNIN_CATEGORIES.has(category.toLowerCase());
}

/** Adds ECS fields (and Sigma's aliases) for a record of `shape`; returns its event time. */
export function addAzureEcs(fields: Fields, shape: AzureShape): number | undefined {
  put(fields, 'cloud.provider', 'azure');
  put(fields, 'event.module', 'azure');
  switch (shape) {
    case 'signin':
      return addSignIn(fields, 'properties.', true);
    case 'graph-signin':
      return addSignIn(fields, '', false);
    case 'audit':
      return addAudit(fields, 'properties.', true);
    case 'graph-audit':
      return addAudit(fields, '', false);
    case 'activity':
    case 'resource':
      return addActivity(fields, shape === 'activity');
    case 'activity-rest':
      return addActivityRest(fields);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Subscription (or tenant) id and provider namespace of a resource id. */
function resourceIdParts(rid: string | undefined): { subscription?: string; tenant?: string; provider?: string } {
  if (!rid) return {};
  const m = RESOURCE_ID_SCOPE.exec(rid);
  const providers = /\/providers\/([^/]+)/gi;
  let provider: string | undefined;
  // The last namespace: `/providers/Microsoft.Management/…/providers/Microsoft.Compute/…`.
  for (let p = providers.exec(rid); p; p = providers.exec(rid)) provider = p[1];
  const kind = m?.[1]?.toLowerCase();
  return { subscription: kind === 'subscriptions' ? m?.[2] : undefined, tenant: kind === 'tenants' ? m?.[2] : undefined, provider };
}

/** Diagnostic-settings fields every shape shares: account, resource id, result. */
function addDiagnosticCommon(fields: Fields, dataset: string): void {
  put(fields, 'event.dataset', dataset);
  const rid = str(top(fields, 'resourceId'));
  const parts = resourceIdParts(rid);
  put(fields, 'cloud.account.id', parts.subscription ?? str(top(fields, 'tenantId')) ?? parts.tenant);
  put(fields, 'ResourceId', rid);
  put(fields, 'ResultDescription', str(top(fields, 'resultDescription')));
}

const IPV4_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;
const IPV6_PORT = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/;

/** An address as Azure writes it: bare, `ip:port`, or `[v6]:port`; `0.0.0.0` means none. */
function address(value: FieldValue | undefined): { ip: string; port?: number } | undefined {
  const text = str(value)?.trim();
  if (!text || text.length > 64) return undefined;
  if (isIP(text)) return text === '0.0.0.0' ? undefined : { ip: text };
  const m = IPV4_PORT.exec(text) ?? IPV6_PORT.exec(text);
  return m && isIP(m[1]!) ? { ip: m[1]!, port: Number(m[2]) } : undefined;
}

/** `source.ip`/`source.port` from the first address; every address goes to `related.ip`. */
function addSource(fields: Fields, candidates: readonly (FieldValue | undefined)[]): void {
  const ips: string[] = [];
  for (const c of candidates) {
    const a = address(c);
    if (!a) continue;
    if (ips.length === 0) {
      put(fields, 'source.ip', a.ip);
      put(fields, 'source.port', a.port);
    }
    if (!ips.includes(a.ip)) ips.push(a.ip);
  }
  put(fields, 'related.ip', ips);
}

function addRelatedUsers(fields: Fields, names: readonly (FieldValue | undefined)[]): void {
  const users: string[] = [];
  for (const n of names) if (typeof n === 'string' && n !== '' && !users.includes(n)) users.push(n);
  put(fields, 'related.user', users);
}

function addUser(fields: Fields, prefix: string, name: string | undefined, id: string | undefined): void {
  put(fields, `${prefix}.name`, name);
  if (name?.includes('@')) put(fields, `${prefix}.email`, name);
  put(fields, `${prefix}.id`, id);
}

function textOutcome(value: FieldValue | undefined): Outcome | undefined {
  const text = str(value);
  if (!text) return undefined;
  if (/^succe/i.test(text)) return 'success';
  if (/^(fail|timeout)/i.test(text)) return 'failure';
  return undefined;
}

/** An error code as a number (`"50126"` → 50126). */
function code(value: FieldValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value);
  return undefined;
}

/** Sigma's `Status`: the outcome word, then any details (as an array). */
function statusAlias(outcome: Outcome, details: readonly (FieldValue | undefined)[]): FieldValue | undefined {
  const word = outcome === 'success' ? 'Success' : outcome === 'failure' ? 'Failure' : undefined;
  const rest = details.filter((d): d is string => typeof d === 'string' && d.trim() !== '');
  if (rest.length === 0) return word;
  return word ? [word, ...rest] : rest;
}

/** Arrays of objects are flattened to their JSON text; this reads them back. */
function objects(value: FieldValue | undefined): Record<string, unknown>[] {
  if (typeof value !== 'string' || !value.startsWith('[')) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o)) : [];
  } catch {
    return [];
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const MAX_ALIAS_VALUES = 64;

function time(...values: (FieldValue | undefined)[]): number | undefined {
  for (const v of values) {
    const t = parseTimestamp(v);
    if (t !== undefined) return t;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Entra ID sign-ins

function addSignIn(fields: Fields, base: string, diagnostic: boolean): number | undefined {
  const p = (k: string) => fields[base + k];
  if (diagnostic) addDiagnosticCommon(fields, 'azure.signinlogs');
  else {
    put(fields, 'event.dataset', 'azure.signinlogs');
    put(fields, 'cloud.account.id', str(fields['tenantId']) ?? str(fields['homeTenantId']));
  }
  put(fields, 'event.action', diagnostic ? str(top(fields, 'operationName')) : 'Sign-in activity');
  put(fields, 'event.provider', resourceIdParts(diagnostic ? str(top(fields, 'resourceId')) : undefined).provider ?? 'Microsoft.aadiam');
  put(fields, 'event.category', ['authentication']);
  put(fields, 'event.type', ['start']);
  put(fields, 'event.id', str(p('id')));

  const resultType = diagnostic ? top(fields, 'resultType') : undefined;
  const errorCode = code(p('status.errorCode')) ?? code(resultType);
  const outcome: Outcome =
    errorCode !== undefined
      ? errorCode === 0
        ? 'success'
        : 'failure'
      : (textOutcome(resultType) ?? textOutcome(p('result')) ?? (diagnostic ? textOutcome(top(fields, 'resultSignature')) : undefined) ?? 'unknown');
  put(fields, 'event.outcome', outcome);
  const reason = str(p('status.failureReason')) ?? (diagnostic ? str(top(fields, 'resultDescription')) : undefined);
  if (outcome === 'failure') {
    put(fields, 'event.reason', reason);
    put(fields, 'error.code', errorCode === undefined ? undefined : String(errorCode));
  }

  const upn = str(p('userPrincipalName'));
  const name = upn ?? str(p('servicePrincipalName')) ?? str(p('userDisplayName'));
  addUser(fields, 'user', name, str(p('userId')) ?? str(p('servicePrincipalId')));
  put(fields, 'user.full_name', str(p('userDisplayName')) ?? (diagnostic ? str(fields['identity']) : undefined));
  addSource(fields, [p('ipAddress'), diagnostic ? top(fields, 'callerIpAddress') : undefined]);
  put(fields, 'source.geo.city_name', str(p('location.city')));
  put(fields, 'source.geo.region_name', str(p('location.state')));
  put(fields, 'source.geo.country_iso_code', str(p('location.countryOrRegion')));
  const lat = p('location.geoCoordinates.latitude');
  const lon = p('location.geoCoordinates.longitude');
  if (typeof lat === 'number' && typeof lon === 'number') {
    put(fields, 'source.geo.location.lat', lat);
    put(fields, 'source.geo.location.lon', lon);
  }
  put(fields, 'user_agent.original', str(p('userAgent')));
  addRelatedUsers(fields, [fields['user.name']]);

  // Sigma's names (see the table at the top).
  put(fields, 'ResultType', errorCode ?? str(resultType));
  put(fields, 'ResultDescription', reason);
  put(fields, 'Status', statusAlias(outcome, [outcome === 'failure' ? str(p('status.failureReason')) : undefined, p('status.additionalDetails')]));
  put(fields, 'AuthenticationRequirement', str(p('authenticationRequirement')));
  put(fields, 'ResourceDisplayName', str(p('resourceDisplayName')));
  put(fields, 'RiskState', str(p('riskState')));
  put(fields, 'ClientApp', str(p('clientAppUsed')));
  put(fields, 'conditionalAccessStatus', str(p('conditionalAccessStatus')));
  put(fields, 'userAgent', str(p('userAgent')));
  put(fields, 'Username', upn);
  put(fields, 'Location', (diagnostic ? str(fields['location']) : undefined) ?? str(p('location.countryOrRegion')));
  put(fields, 'ActivityDetails', 'Sign-ins');
  const network = p('networkLocationDetails');
  put(fields, 'NetworkLocationDetails', Array.isArray(network) ? JSON.stringify(network) : str(network));
  const device = `${base}deviceDetail.`;
  // Copied as they are, empty and null too: `DeviceDetail.deviceId: ''` means an unknown device.
  for (const k of Object.keys(fields)) {
    const alias = `DeviceDetail.${k.slice(device.length)}`;
    if (k.startsWith(device) && !(alias in fields)) fields[alias] = fields[k]!;
  }

  return time(p('createdDateTime'), diagnostic ? fields['time'] : undefined);
}

// ---------------------------------------------------------------------------------------------
// Entra ID audit logs

const IAM_DIRECTORY_CATEGORIES = new Set(['usermanagement', 'groupmanagement', 'rolemanagement', 'applicationmanagement']);
const IAM_WORDS = /\b(?:roles?|users?|groups?|members?|owners?|service principals?|passwords?|credentials?|security info|access admin)\b/i;

/** ECS `event.type` of an Entra audit activity, from its operation type or leading verb. */
function auditType(operationType: string | undefined, action: string): string {
  const op = operationType?.toLowerCase();
  if (op === 'add' || op === 'assign') return 'creation';
  if (op === 'delete' || op === 'unassign') return 'deletion';
  if (op === 'update') return 'change';
  if (/^(?:add|create|invite|register|assign)/i.test(action)) return 'creation';
  if (/^(?:delete|remove|hard delete|unassign)/i.test(action)) return 'deletion';
  if (/^(?:update|set|change|reset|enable|disable|restore|reprocess|confirm)/i.test(action)) return 'change';
  return 'info';
}

function addAudit(fields: Fields, base: string, diagnostic: boolean): number | undefined {
  const p = (k: string) => fields[base + k];
  const category = str(fields['category']);
  if (diagnostic) addDiagnosticCommon(fields, 'azure.auditlogs');
  else {
    put(fields, 'event.dataset', 'azure.auditlogs');
    put(fields, 'cloud.account.id', str(fields['tenantId']));
  }
  const displayName = str(p('activityDisplayName'));
  const action = (diagnostic ? str(top(fields, 'operationName')) : undefined) ?? displayName ?? '';
  put(fields, 'event.action', action);
  put(fields, 'event.provider', str(p('loggedByService')) ?? resourceIdParts(diagnostic ? str(top(fields, 'resourceId')) : undefined).provider ?? 'Microsoft.aadiam');
  put(fields, 'event.id', str(p('id')));
  // `category` of the exported record is AuditLogs; the directory's own is in `properties`.
  const directoryCategory = str(p('category')) ?? (diagnostic && category?.toLowerCase() !== 'auditlogs' ? category : undefined);
  const iam = IAM_DIRECTORY_CATEGORIES.has(directoryCategory?.toLowerCase() ?? '') || IAM_WORDS.test(action);
  const type = auditType(str(p('operationType')), action);
  put(fields, 'event.category', [iam ? 'iam' : 'configuration']);
  const types = [type];
  if (iam && /\brole/i.test(action)) types.push('admin');
  if (iam && /\bgroup/i.test(action)) types.push('group');
  if (iam && /\buser/i.test(action)) types.push('user');
  put(fields, 'event.type', types);
  const result = p('result') ?? (diagnostic ? fields['result'] : undefined);
  const outcome = textOutcome(result) ?? (diagnostic ? textOutcome(top(fields, 'resultType')) : undefined) ?? 'unknown';
  put(fields, 'event.outcome', outcome);
  if (outcome === 'failure') put(fields, 'event.reason', str(p('resultReason')));

  // Who did it: a user, or an application (service principal).
  const initiatorUpn = str(p('initiatedBy.user.userPrincipalName'));
  const initiator = initiatorUpn ?? str(p('initiatedBy.user.displayName')) ?? str(p('initiatedBy.app.displayName'));
  addUser(fields, 'user', initiator, str(p('initiatedBy.user.id')) ?? str(p('initiatedBy.app.servicePrincipalId')) ?? str(p('initiatedBy.app.appId')));
  addSource(fields, [diagnostic ? top(fields, 'callerIpAddress') : undefined, p('initiatedBy.user.ipAddress'), diagnostic ? fields['ipAddress'] : undefined]);

  // What it was done to.
  const targets = objects(p('targetResources'));
  const user = targets.find((t) => typeof t['type'] === 'string' && t['type'].toLowerCase() === 'user');
  if (user) addUser(fields, 'user.target', text(user['userPrincipalName']) ?? text(user['displayName']), text(user['id']));
  const group = targets.find((t) => typeof t['type'] === 'string' && t['type'].toLowerCase() === 'group');
  if (group) {
    put(fields, 'group.name', text(group['displayName']));
    put(fields, 'group.id', text(group['id']));
  }
  const agent = objects(p('additionalDetails')).find((d) => typeof d['key'] === 'string' && d['key'].toLowerCase() === 'user-agent');
  put(fields, 'user_agent.original', text(agent?.['value']));
  addRelatedUsers(fields, [fields['user.name'], fields['user.target.name']]);

  // Sigma's names (see the table at the top).
  if (!diagnostic) {
    put(fields, 'operationName', displayName);
    put(fields, 'properties.targetResources', str(p('targetResources')));
    put(fields, 'properties.result', str(result));
  }
  put(fields, 'properties.message', displayName ?? action);
  put(fields, 'OperationName', action);
  put(fields, 'ActivityDisplayName', displayName ?? action);
  put(fields, 'Category', directoryCategory);
  put(fields, 'LoggedByService', str(p('loggedByService')));
  put(fields, 'Status', statusAlias(outcome, [p('resultReason')]));
  put(fields, 'ResultType', diagnostic ? str(top(fields, 'resultType')) : undefined);
  put(fields, 'Initiatedby', initiator);
  put(fields, 'TargetResources', str(p('targetResources')));
  const names: string[] = [];
  const typesOf: string[] = [];
  const modified: Record<string, unknown>[] = [];
  for (const t of targets.slice(0, MAX_ALIAS_VALUES)) {
    const n = text(t['userPrincipalName']) ?? text(t['displayName']);
    if (n && !names.includes(n)) names.push(n);
    const ty = text(t['type']);
    if (ty && !typesOf.includes(ty)) typesOf.push(ty);
    if (Array.isArray(t['modifiedProperties'])) for (const m of t['modifiedProperties']) if (typeof m === 'object' && m !== null && modified.length < MAX_ALIAS_VALUES) modified.push(m as Record<string, unknown>);
  }
  put(fields, 'Target', names);
  put(fields, 'targetResources.type', typesOf);
  if (modified.length > 0) {
    put(fields, 'TargetResources.modifiedProperties', JSON.stringify(modified));
    const newValues = modified.map((m) => text(m['newValue'])).filter((v): v is string => v !== undefined);
    put(fields, 'TargetResources.modifiedProperties.newValue', newValues);
    put(fields, 'TargetResources.ModifiedProperties.NewValue', newValues);
    put(fields, 'TargetResources.ModifiedProperties.DisplayName', modified.map((m) => text(m['displayName'])).filter((v): v is string => v !== undefined));
    for (const m of modified) {
      const key = text(m['displayName']);
      if (key?.startsWith('ConsentContext.')) put(fields, key, unquote(text(m['newValue'])));
    }
  }
  return time(p('activityDateTime'), diagnostic ? fields['time'] : undefined);
}

/** Modified properties hold JSON text (`"\"False\""`): the string inside. */
function unquote(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('"')) return value;
  try {
    const v: unknown = JSON.parse(value);
    return typeof v === 'string' ? v : value;
  } catch {
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Activity Log (and other resource logs)

const CLAIM_UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const CLAIM_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const CLAIM_EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const CLAIM_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const IAM_OPERATION = /^microsoft\.authorization\/(?:roleassignments|roledefinitions|elevateaccess|classicadministrators|denyassignments|roleeligibility|roleassignmentschedule)/i;

interface ActivityView {
  readonly op: string | undefined;
  /** Activity Log category (Administrative, Security, Policy…); undefined for other resource logs. */
  readonly category: string | undefined;
  readonly provider: string | undefined;
  readonly outcome: Outcome;
  readonly claims: string;
  readonly caller: string | undefined;
  readonly addresses: readonly (FieldValue | undefined)[];
  readonly region: string | undefined;
}

/** ECS `event.type` of an ARM operation (`…/write`, `…/delete`, `…/listKeys/action`). */
function armType(op: string, iam: boolean): string {
  const parts = op.toLowerCase().split('/');
  const last = parts[parts.length - 1];
  if (last === 'delete') return 'deletion';
  if (last === 'write') return 'change';
  const reads = last === 'read' || (last === 'action' && /^(?:list|get|read|download|export)/.test(parts[parts.length - 2] ?? ''));
  return reads ? (iam ? 'info' : 'access') : last === 'action' ? 'change' : 'info';
}

function activityOutcome(value: FieldValue | undefined): Outcome {
  return textOutcome(value) ?? 'unknown';
}

function addActivityView(fields: Fields, view: ActivityView): void {
  put(fields, 'event.action', view.op);
  put(fields, 'event.provider', view.provider);
  put(fields, 'event.outcome', view.outcome);
  put(fields, 'cloud.region', view.region && view.region.toLowerCase() !== 'global' ? view.region : undefined);
  if (view.category !== undefined && view.op !== undefined) {
    if (view.category.toLowerCase() === 'security') {
      // Microsoft Defender for Cloud alerts.
      put(fields, 'event.kind', 'alert');
      put(fields, 'event.category', ['intrusion_detection']);
      put(fields, 'event.type', ['info']);
    } else {
      const iam = IAM_OPERATION.test(view.op);
      put(fields, 'event.category', [iam ? 'iam' : 'configuration']);
      put(fields, 'event.type', iam ? [armType(view.op, true), 'admin'] : [armType(view.op, false)]);
    }
  }
  const c = (k: string) => str(fields[view.claims + k]);
  const upn = c(CLAIM_UPN) ?? (view.caller?.includes('@') ? view.caller : undefined);
  addUser(fields, 'user', upn ?? view.caller ?? c(CLAIM_NAME) ?? c(CLAIM_EMAIL) ?? c('appid'), c(CLAIM_OID));
  put(fields, 'user.full_name', c('name'));
  addSource(fields, [...view.addresses, fields[`${view.claims}ipaddr`]]);
  addRelatedUsers(fields, [fields['user.name']]);
}

function addActivity(fields: Fields, isActivityLog: boolean): number | undefined {
  addDiagnosticCommon(fields, isActivityLog ? 'azure.activitylogs' : 'azure.platformlogs');
  const op = operationOf(fields);
  const rid = str(top(fields, 'resourceId'));
  const provider = (op?.includes('/') ? op.split('/')[0] : undefined) ?? resourceIdParts(rid).provider;
  const category = isActivityLog ? (str(fields['properties.eventCategory']) ?? str(fields['category']) ?? str(fields['category.value'])) : undefined;
  const resultType = top(fields, 'resultType');
  const status = top(fields, 'statusCode');
  const outcome =
    resultType !== undefined
      ? activityOutcome(resultType)
      : fields['status.value'] !== undefined
        ? activityOutcome(fields['status.value'])
        : typeof status === 'number'
          ? status < 400
            ? 'success'
            : 'failure'
          : activityOutcome(top(fields, 'statusText'));
  addActivityView(fields, { op, category, provider, outcome, claims: 'identity.claims.', caller: undefined, addresses: [top(fields, 'callerIpAddress')], region: str(fields['location']) });
  put(fields, 'user_agent.original', str(fields['properties.userAgentHeader']));

  put(fields, 'ResultType', str(resultType));
  put(fields, 'operationName', op);
  put(fields, 'OperationName', op);
  if (isActivityLog) {
    put(fields, 'OperationNameValue', op);
    put(fields, 'CategoryValue', category);
    put(fields, 'ResourceProviderValue', provider);
  }
  return time(fields['time']);
}

function addActivityRest(fields: Fields): number | undefined {
  put(fields, 'event.dataset', 'azure.activitylogs');
  const op = str(fields['operationName.value']);
  const rid = str(fields['resourceId']);
  const parts = resourceIdParts(rid);
  put(fields, 'cloud.account.id', str(fields['subscriptionId']) ?? parts.subscription ?? str(fields['tenantId']));
  const provider = str(fields['resourceProviderName.value']) ?? (op?.includes('/') ? op.split('/')[0] : undefined) ?? parts.provider;
  const category = str(fields['category.value']) ?? str(fields['properties.eventCategory']);
  addActivityView(fields, {
    op,
    category,
    provider,
    outcome: activityOutcome(fields['status.value']),
    claims: 'claims.',
    caller: str(fields['caller']),
    addresses: [fields['httpRequest.clientIpAddress']],
    region: undefined,
  });
  put(fields, 'event.id', str(fields['eventDataId']));

  put(fields, 'operationName', op);
  put(fields, 'OperationName', str(fields['operationName.localizedValue']));
  put(fields, 'OperationNameValue', op);
  put(fields, 'CategoryValue', category);
  put(fields, 'ResourceProviderValue', provider);
  put(fields, 'ResourceId', rid);
  return time(fields['eventTimestamp']);
}

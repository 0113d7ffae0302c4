/**
 * Cloud audit logs: AWS CloudTrail records (also inside EventBridge envelopes) and Google
 * Cloud audit LogEntries (`protoPayload` of type AuditLog). Native names stay (`eventName`,
 * `userIdentity.arn`, `protoPayload.methodName`: what Sigma's cloud rules use); ECS names are
 * added beside them, as in Elastic's AWS and GCP integrations.
 */
import type { FieldValue, Fields } from '../../core/event.js';

function put(fields: Fields, key: string, value: FieldValue | undefined): void {
  if (value === undefined || value === null || value === '' || key in fields) return;
  fields[key] = value;
}

export function looksLikeCloudTrail(fields: Fields): boolean {
  return typeof fields['eventSource'] === 'string' && typeof fields['eventName'] === 'string' && ('awsRegion' in fields || 'eventVersion' in fields);
}

/** CloudTrail, flattened (`userIdentity.arn`); also the `detail.*` of an EventBridge event. */
export function addCloudTrailEcs(fields: Fields, prefix = ''): number | undefined {
  const get = (k: string) => fields[prefix + k];
  put(fields, 'event.action', get('eventName'));
  put(fields, 'event.provider', get('eventSource'));
  put(fields, 'cloud.provider', 'aws');
  put(fields, 'cloud.region', get('awsRegion'));
  put(fields, 'cloud.account.id', get('recipientAccountId') ?? get('userIdentity.accountId'));
  put(fields, 'source.ip', typeof get('sourceIPAddress') === 'string' && /^[0-9a-fA-F.:]+$/.test(String(get('sourceIPAddress'))) ? get('sourceIPAddress') : undefined);
  put(fields, 'source.domain', typeof get('sourceIPAddress') === 'string' && !/^[0-9a-fA-F.:]+$/.test(String(get('sourceIPAddress'))) ? get('sourceIPAddress') : undefined);
  put(fields, 'user_agent.original', get('userAgent'));
  const arn = get('userIdentity.arn');
  put(fields, 'user.id', arn);
  const name = get('userIdentity.userName') ?? get('userIdentity.sessionContext.sessionIssuer.userName') ?? (typeof arn === 'string' ? arn.split('/').pop() : undefined);
  put(fields, 'user.name', name);
  put(fields, 'event.id', get('eventID'));
  const error = get('errorCode');
  put(fields, 'event.outcome', error ? 'failure' : 'success');
  put(fields, 'error.code', error);
  put(fields, 'error.message', get('errorMessage'));
  put(fields, 'event.module', 'aws');
  put(fields, 'event.dataset', 'aws.cloudtrail');
  const time = Date.parse(String(get('eventTime') ?? ''));
  return Number.isFinite(time) ? time : undefined;
}

/**
 * A Cloud Audit Logs LogEntry: `protoPayload` typed as an AuditLog (some exporters, Panther among
 * them, rename `@type` to `at_sign_type`), or untyped but with the AuditLog's method and service.
 */
export function looksLikeGcpAudit(fields: Fields): boolean {
  const type = fields['protoPayload.@type'] ?? fields['protoPayload.at_sign_type'];
  if (typeof type === 'string') return type.endsWith('google.cloud.audit.AuditLog');
  const logName = fields['logName'] ?? fields['logname'];
  if (typeof logName === 'string' && logName.includes('/logs/cloudaudit.googleapis.com')) return true;
  return (
    typeof fields['protoPayload.methodName'] === 'string' &&
    (typeof fields['protoPayload.serviceName'] === 'string' || typeof fields['protoPayload.authenticationInfo.principalEmail'] === 'string')
  );
}

export function addGcpAuditEcs(fields: Fields): number | undefined {
  put(fields, 'event.action', fields['protoPayload.methodName']);
  put(fields, 'event.provider', fields['protoPayload.serviceName']);
  put(fields, 'cloud.provider', 'gcp');
  put(fields, 'cloud.project.id', fields['resource.labels.project_id']);
  put(fields, 'user.email', fields['protoPayload.authenticationInfo.principalEmail']);
  put(fields, 'user.name', fields['protoPayload.authenticationInfo.principalEmail']);
  put(fields, 'source.ip', fields['protoPayload.requestMetadata.callerIp'] ?? fields['protoPayload.requestMetadata.callerIP']);
  put(fields, 'user_agent.original', fields['protoPayload.requestMetadata.callerSuppliedUserAgent']);
  const code = fields['protoPayload.status.code'];
  put(fields, 'event.outcome', code === undefined || code === 0 ? 'success' : 'failure');
  put(fields, 'event.module', 'gcp');
  put(fields, 'event.dataset', 'gcp.audit');
  return undefined; // `timestamp` is read by the generic time rules
}

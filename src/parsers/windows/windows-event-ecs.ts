/**
 * A Windows event in the `evtx_dump` JSON shape (`{"Event": {"System": …, "EventData": …}}`,
 * from an .evtx file or shipped as JSON) to fields: Sigma's native names (`EventID`, `Image`,
 * `TargetUserName`…) plus ECS names beside them for search and correlation. Event-specific ECS
 * mappings follow Elastic's Windows and Sysmon integrations for the events analysts use most.
 */
import type { FieldValue, Fields } from '../../core/event.js';
import { evtxNativeFields, type JsonTree } from '../evtx/index.js';

/** Native name → ECS name, whichever event carries it. */
const GENERIC: Record<string, string> = {
  Image: 'process.executable',
  CommandLine: 'process.command_line',
  ProcessId: 'process.pid',
  ParentImage: 'process.parent.executable',
  ParentCommandLine: 'process.parent.command_line',
  ParentProcessId: 'process.parent.pid',
  CurrentDirectory: 'process.working_directory',
  OriginalFileName: 'process.pe.original_file_name',
  TargetFilename: 'file.path',
  ImageLoaded: 'dll.path',
  SourceIp: 'source.ip',
  SourcePort: 'source.port',
  SourceHostname: 'source.domain',
  DestinationIp: 'destination.ip',
  DestinationPort: 'destination.port',
  DestinationHostname: 'destination.domain',
  Protocol: 'network.transport',
  QueryName: 'dns.question.name',
  TargetObject: 'registry.path',
  IpAddress: 'source.ip',
  SourceAddress: 'source.ip',
  DestAddress: 'destination.ip',
  DestPort: 'destination.port',
  IpPort: 'source.port',
  WorkstationName: 'source.domain',
  LogonType: 'winlog.logon.type',
  ServiceName: 'service.name',
  ServiceFileName: 'service.executable',
  ScriptBlockText: 'powershell.file.script_block_text',
};

const AUTH_SUCCESS = new Set([4624, 4648, 4768, 4769, 4776]);
const AUTH_FAILURE = new Set([4625, 4771, 4772]);
const IAM = new Set([4720, 4722, 4723, 4724, 4725, 4726, 4728, 4732, 4738, 4740, 4756]);

function put(fields: Fields, key: string, value: FieldValue | undefined): void {
  if (value === undefined || value === null || value === '-' || value === '' || key in fields) return;
  fields[key] = value;
}

export interface WindowsEvent {
  readonly fields: Fields;
  readonly time: number | undefined;
}

/** True for the `{"Event": {"System": …}}` shape. */
export function isWindowsEventTree(value: unknown): value is JsonTree {
  if (typeof value !== 'object' || value === null) return false;
  const event = (value as { Event?: unknown }).Event;
  return typeof event === 'object' && event !== null && typeof (event as { System?: unknown }).System === 'object';
}

export function windowsEventFields(tree: JsonTree): WindowsEvent {
  return addWindowsEcs(canonicalNative(evtxNativeFields(tree)));
}

/**
 * Shippers type the same value differently (evtx_dump writes `ProcessId: 1444`, Winlogbeat
 * `"1444"`), so native values are made canonical: whole numbers written as decimal digits
 * become numbers, whichever shape they came in. A Sigma rule then sees one value.
 */
export function canonicalNative(fields: Fields): Fields {
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string' && /^(?:0|[1-9]\d{0,14})$/.test(v)) fields[k] = Number(v);
  }
  return fields;
}

/** ECS names beside the native ones of a Windows event (any shape, once made native). */
export function addWindowsEcs(fields: Fields): WindowsEvent {
  const id = typeof fields['EventID'] === 'number' ? fields['EventID'] : Number(fields['EventID']);
  const provider = String(fields['Provider_Name'] ?? '');
  put(fields, 'event.code', Number.isFinite(id) ? String(id) : undefined);
  put(fields, 'event.provider', provider || undefined);
  put(fields, 'winlog.channel', fields['Channel']);
  put(fields, 'winlog.record_id', fields['EventRecordID']);
  put(fields, 'host.name', fields['Computer']);
  put(fields, 'winlog.user.identifier', fields['UserID']);
  // Security 4688 names the new process NewProcessId/NewProcessName; its ProcessId is the parent.
  if (id === 4688 && fields['Channel'] === 'Security') {
    put(fields, 'process.pid', fields['NewProcessId']);
    put(fields, 'process.parent.pid', fields['ProcessId']);
    put(fields, 'process.executable', fields['NewProcessName']);
    put(fields, 'process.parent.executable', fields['ParentProcessName']);
    const name = fields['NewProcessName'];
    if (typeof name === 'string') put(fields, 'process.name', name.split(/[\\/]/).pop());
  }
  for (const [native, ecs] of Object.entries(GENERIC)) put(fields, ecs, fields[native]);
  const image = fields['Image'];
  if (typeof image === 'string') put(fields, 'process.name', image.split(/[\\/]/).pop());
  if (typeof fields['network.transport'] === 'string') fields['network.transport'] = fields['network.transport'].toLowerCase();

  // Sysmon for Windows (Microsoft-Windows-Sysmon) and for Linux (Linux-Sysmon) share event ids.
  const sysmon = provider === 'Microsoft-Windows-Sysmon' || provider === 'Linux-Sysmon';
  // Who: the target of a logon or account change, else the acting user.
  put(fields, 'user.name', fields['TargetUserName'] ?? (sysmon ? fields['User'] : fields['SubjectUserName']));
  put(fields, 'user.domain', fields['TargetDomainName'] ?? fields['SubjectDomainName']);
  if (fields['TargetUserName'] !== undefined) put(fields, 'user.effective.name', fields['SubjectUserName']);

  if (AUTH_SUCCESS.has(id) || AUTH_FAILURE.has(id)) {
    put(fields, 'event.category', ['authentication']);
    put(fields, 'event.outcome', AUTH_FAILURE.has(id) ? 'failure' : 'success');
    put(fields, 'event.action', id === 4625 || id === 4624 ? 'logon' : `windows-${id}`);
  } else if (IAM.has(id)) {
    put(fields, 'event.category', ['iam']);
    put(fields, 'event.outcome', 'success');
  } else if (sysmon) {
    const sysmonCategory: Record<number, string[]> = { 1: ['process'], 3: ['network'], 5: ['process'], 7: ['process'], 8: ['process'], 10: ['process'], 11: ['file'], 12: ['registry'], 13: ['registry'], 14: ['registry'], 15: ['file'], 22: ['network'], 23: ['file'], 26: ['file'] };
    put(fields, 'event.category', sysmonCategory[id]);
  } else if (id === 4688) {
    put(fields, 'event.category', ['process']);
  }
  put(fields, 'event.module', sysmon ? 'sysmon' : 'windows');
  const created = fields['TimeCreated'];
  const time = typeof created === 'string' ? Date.parse(created) : undefined;
  return { fields, time: time !== undefined && Number.isFinite(time) ? time : undefined };
}

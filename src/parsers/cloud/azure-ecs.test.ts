import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corpusHas, corpusPath } from '../../../test/support/corpus.js';
import { mapJsonRecord } from '../json/json-mapping.js';
import { jsonRecordMapping } from '../json/index.js';
import { FileRecordMapper } from '../../sources/file/file-records.js';

const limits = { maxJsonDepth: 32, maxFieldsPerEvent: 1024 };
const map = (record: Record<string, unknown>) => mapJsonRecord(record, limits);

const SUBSCRIPTION = '6f3c2a1b-0d4e-4f5a-9b8c-7d6e5f4a3b2c';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** Activity Log, Administrative, as diagnostic settings write it to storage or an Event Hub. */
const ROLE_ASSIGNMENT = {
  time: '2026-03-02T14:07:31.2345678Z',
  resourceId: `/SUBSCRIPTIONS/${SUBSCRIPTION.toUpperCase()}/RESOURCEGROUPS/PROD-RG/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/0B6A3E1C-5D2F-4A8B-9C7E-1F2A3B4C5D6E`,
  operationName: 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE',
  category: 'Administrative',
  resultType: 'Success',
  resultSignature: 'Succeeded.Created',
  durationMs: '1873',
  callerIpAddress: '203.0.113.45',
  correlationId: '5a9e1c3d-7b2f-4e6a-8d1c-0f9e8d7c6b5a',
  identity: {
    authorization: {
      scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Authorization/roleAssignments/0b6a3e1c-5d2f-4a8b-9c7e-1f2a3b4c5d6e`,
      action: 'Microsoft.Authorization/roleAssignments/write',
      evidence: { role: 'Owner', roleAssignmentScope: `/subscriptions/${SUBSCRIPTION}`, principalType: 'User' },
    },
    claims: {
      aud: 'https://management.core.windows.net/',
      iss: `https://sts.windows.net/${TENANT}/`,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'mallory@contoso.com',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'mallory@contoso.com',
      name: 'Mallory Admin',
      'http://schemas.microsoft.com/identity/claims/objectidentifier': '2468adf0-8211-44e3-95a1-85137af64708',
      ipaddr: '203.0.113.45',
      appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
    },
  },
  level: 'Information',
  location: 'global',
  properties: {
    statusCode: 'Created',
    serviceRequestId: '50d5cddb-8ca0-47ad-9b80-6cde2207f97c',
    eventCategory: 'Administrative',
    entity: `/subscriptions/${SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Authorization/roleAssignments/0b6a3e1c-5d2f-4a8b-9c7e-1f2a3b4c5d6e`,
    message: 'Microsoft.Authorization/roleAssignments/write',
    hierarchy: `${TENANT}/${SUBSCRIPTION}`,
  },
};

/** Activity Log as the REST API and `az monitor activity-log list` return it. */
const NSG_DELETE_REST = {
  authorization: { action: 'Microsoft.Network/networkSecurityGroups/delete', scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg` },
  caller: '9c1e2f3a-4b5c-4d6e-8f7a-1b2c3d4e5f6a',
  category: { localizedValue: 'Administrative', value: 'Administrative' },
  claims: {
    aud: 'https://management.azure.com/',
    appid: '9c1e2f3a-4b5c-4d6e-8f7a-1b2c3d4e5f6a',
    'http://schemas.microsoft.com/identity/claims/objectidentifier': '0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a',
    ipaddr: '198.51.100.20',
  },
  correlationId: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  description: '',
  eventDataId: 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d',
  eventName: { localizedValue: 'End request', value: 'EndRequest' },
  eventTimestamp: '2026-03-02T09:15:02.4851834Z',
  httpRequest: { clientIpAddress: '198.51.100.20', clientRequestId: '7e8f9a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b', method: 'DELETE' },
  id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg/events/a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d/ticks/638449233024851834`,
  level: 'Error',
  operationId: 'b4c5d6e7-f8a9-4b0c-9d1e-2f3a4b5c6d7e',
  operationName: { localizedValue: 'Delete Network Security Group', value: 'Microsoft.Network/networkSecurityGroups/delete' },
  properties: { statusCode: 'Forbidden', eventCategory: 'Administrative', message: 'Microsoft.Network/networkSecurityGroups/delete' },
  resourceGroupName: 'web-rg',
  resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg`,
  resourceProviderName: { localizedValue: 'Microsoft.Network', value: 'Microsoft.Network' },
  resourceType: { localizedValue: 'Microsoft.Network/networkSecurityGroups', value: 'Microsoft.Network/networkSecurityGroups' },
  status: { localizedValue: 'Failed', value: 'Failed' },
  subStatus: { localizedValue: 'Forbidden (HTTP Status Code: 403)', value: 'Forbidden' },
  submissionTimestamp: '2026-03-02T09:16:41.0722785Z',
  subscriptionId: SUBSCRIPTION,
  tenantId: TENANT,
};

/** Entra ID sign-in, diagnostic settings (`SignInLogs`): a wrong password from abroad. */
const FAILED_SIGNIN = {
  time: '2026-03-02T08:15:23.4560000Z',
  resourceId: `/tenants/${TENANT}/providers/Microsoft.aadiam`,
  operationName: 'Sign-in activity',
  operationVersion: '1.0',
  category: 'SignInLogs',
  tenantId: TENANT,
  resultType: '50126',
  resultSignature: 'None',
  resultDescription: 'Error validating credentials due to invalid username or password.',
  durationMs: 0,
  callerIpAddress: '185.220.101.34',
  correlationId: '4c7a9b1e-2d3f-4e5a-8b6c-7d8e9f0a1b2c',
  identity: 'Alice Example',
  Level: 4,
  location: 'DE',
  properties: {
    id: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
    createdDateTime: '2026-03-02T08:13:52.1234567+00:00',
    userDisplayName: 'Alice Example',
    userPrincipalName: 'alice@contoso.com',
    userId: '26be570a-ae82-4189-b4e2-a37c6808512d',
    appId: '4765445b-32c6-49b0-83e6-1d93765276ca',
    appDisplayName: 'OfficeHome',
    ipAddress: '185.220.101.34',
    status: { errorCode: 50126, failureReason: 'Error validating credentials due to invalid username or password.' },
    clientAppUsed: 'Browser',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
    deviceDetail: { deviceId: '', operatingSystem: 'Windows10', browser: 'Chrome 122.0.0', isCompliant: false, isManaged: false },
    location: { city: 'Frankfurt am Main', state: 'Hessen', countryOrRegion: 'DE', geoCoordinates: { latitude: 50.1109, longitude: 8.6821 } },
    correlationId: '4c7a9b1e-2d3f-4e5a-8b6c-7d8e9f0a1b2c',
    conditionalAccessStatus: 'notApplied',
    appliedConditionalAccessPolicies: [],
    authenticationRequirement: 'singleFactorAuthentication',
    isInteractive: true,
    tokenIssuerType: 'AzureAD',
    authenticationProcessingDetails: [],
    networkLocationDetails: [],
    processingTimeInMilliseconds: 112,
    riskDetail: 'none',
    riskLevelAggregated: 'none',
    riskLevelDuringSignIn: 'none',
    riskState: 'none',
    riskEventTypes_v2: [],
    resourceDisplayName: 'Office 365 SharePoint Online',
    resourceId: '00000003-0000-0ff1-ce00-000000000000',
    authenticationMethodsUsed: [],
  },
};

/** The same log, the user declining the MFA prompt (error 500121). */
const MFA_DENIED = {
  ...FAILED_SIGNIN,
  resultType: '500121',
  resultDescription: 'Authentication failed during strong authentication request.',
  properties: {
    ...FAILED_SIGNIN.properties,
    status: { errorCode: 500121, failureReason: 'Authentication failed during strong authentication request.', additionalDetails: 'MFA denied; user declined the authentication' },
    authenticationRequirement: 'multiFactorAuthentication',
  },
};

/** Microsoft Graph `GET /auditLogs/signIns`: a successful interactive sign-in. */
const GRAPH_SIGNIN = {
  id: '66ea54eb-6301-4ee5-be62-ff5a759b0100',
  createdDateTime: '2026-03-02T07:56:37Z',
  userDisplayName: 'Bob Jones',
  userPrincipalName: 'bob@contoso.com',
  userId: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3',
  appId: 'de8bc8b5-d9f9-48b1-a8ad-b748da725064',
  appDisplayName: 'Graph Explorer',
  ipAddress: '131.107.159.37',
  clientAppUsed: 'Browser',
  correlationId: 'd79f5bee-5860-4832-928f-3133e22ae912',
  conditionalAccessStatus: 'success',
  isInteractive: true,
  riskDetail: 'none',
  riskLevelAggregated: 'none',
  riskLevelDuringSignIn: 'none',
  riskState: 'none',
  riskEventTypes: [],
  riskEventTypes_v2: [],
  resourceDisplayName: 'Microsoft Graph',
  resourceId: '00000003-0000-0000-c000-000000000000',
  status: { errorCode: 0, failureReason: null, additionalDetails: 'MFA requirement satisfied by claim in the token' },
  deviceDetail: { deviceId: '', displayName: null, operatingSystem: 'Windows 10', browser: 'Edge 122.0.2365', isCompliant: null, isManaged: null, trustType: null },
  location: { city: 'Redmond', state: 'Washington', countryOrRegion: 'US', geoCoordinates: { altitude: null, latitude: 47.6805, longitude: -122.1209 } },
  appliedConditionalAccessPolicies: [{ id: 'de7e60eb-ed89-4d73-8205-2227def6b7c9', displayName: 'Require MFA for all users', enforcedGrantControls: ['Mfa'], enforcedSessionControls: [], result: 'success' }],
};

/** Entra ID audit log, diagnostic settings (`AuditLogs`): a user made Global Administrator. */
const ADD_MEMBER_TO_ROLE = {
  time: '2026-03-02T15:22:10.4105412Z',
  resourceId: `/tenants/${TENANT}/providers/Microsoft.aadiam`,
  operationName: 'Add member to role',
  operationVersion: '1.0',
  category: 'AuditLogs',
  tenantId: TENANT,
  resultSignature: 'None',
  durationMs: 0,
  callerIpAddress: '198.51.100.23',
  correlationId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  Level: 4,
  properties: {
    id: 'Directory_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d_4WZTO_63428871',
    category: 'RoleManagement',
    correlationId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    result: 'success',
    resultReason: '',
    activityDisplayName: 'Add member to role',
    activityDateTime: '2026-03-02T15:22:09.8765432+00:00',
    loggedByService: 'Core Directory',
    operationType: 'Assign',
    initiatedBy: { user: { id: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b', displayName: null, userPrincipalName: 'mallory@contoso.com', ipAddress: '198.51.100.23', roles: [] } },
    targetResources: [
      {
        id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        displayName: null,
        type: 'User',
        userPrincipalName: 'eve@contoso.com',
        modifiedProperties: [
          { displayName: 'Role.ObjectID', oldValue: null, newValue: '"3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"' },
          { displayName: 'Role.DisplayName', oldValue: null, newValue: '"Global Administrator"' },
          { displayName: 'Role.TemplateId', oldValue: null, newValue: '"62e90394-69f5-4237-9190-012177145e10"' },
          { displayName: 'Role.WellKnownObjectName', oldValue: null, newValue: '"CompanyAdministrator"' },
        ],
        administrativeUnits: [],
      },
      { id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', displayName: 'Global Administrator', type: 'Role', modifiedProperties: [], administrativeUnits: [] },
    ],
    additionalDetails: [{ key: 'User-Agent', value: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15' }],
  },
};

/** Microsoft Graph `GET /auditLogs/directoryAudits`: a user consents to an application. */
const GRAPH_CONSENT = {
  id: 'Directory_ABC12_7Q8P6_48392173',
  category: 'ApplicationManagement',
  correlationId: '8e9f0a1b-2c3d-4e4f-8a5b-6c7d8e9f0a1b',
  result: 'success',
  resultReason: '',
  activityDisplayName: 'Consent to application',
  activityDateTime: '2026-03-02T16:01:44.1234567Z',
  loggedByService: 'Core Directory',
  operationType: 'Assign',
  initiatedBy: { app: null, user: { id: 'd7cc485d-2c1b-422c-98fd-5ce52859a4a3', displayName: null, userPrincipalName: 'bob@contoso.com', ipAddress: '192.0.2.77' } },
  targetResources: [
    {
      id: '4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c',
      displayName: 'Mail Reader Pro',
      type: 'ServicePrincipal',
      userPrincipalName: null,
      modifiedProperties: [
        { displayName: 'ConsentContext.IsAdminConsent', oldValue: null, newValue: '"False"' },
        { displayName: 'ConsentContext.IsAppOnly', oldValue: null, newValue: '"False"' },
        { displayName: 'ConsentContext.OnBehalfOfAll', oldValue: null, newValue: '"False"' },
        { displayName: 'ConsentAction.Permissions', oldValue: null, newValue: '"[] => [[ConsentType: Principal, Scope: Mail.Read offline_access User.Read]]; "' },
      ],
    },
  ],
  additionalDetails: [
    { key: 'User-Agent', value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0' },
    { key: 'AppId', value: '4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c' },
  ],
};

describe('Azure Activity Log', () => {
  it('a role assignment written through diagnostic settings is a successful IAM change by the caller, from their IP, in the subscription', () => {
    const { fields, time } = map(ROLE_ASSIGNMENT);
    assert.equal(fields['operationName'], 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE', 'native name stays for Sigma');
    assert.equal(fields['properties.message'], 'Microsoft.Authorization/roleAssignments/write');
    assert.equal(fields['cloud.provider'], 'azure');
    assert.equal(fields['cloud.account.id'], SUBSCRIPTION.toUpperCase());
    assert.equal(fields['cloud.region'], undefined, '"global" is no region');
    assert.equal(fields['event.action'], 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE');
    assert.equal(fields['event.provider'], 'MICROSOFT.AUTHORIZATION');
    assert.equal(fields['event.outcome'], 'success');
    assert.deepEqual(fields['event.category'], ['iam']);
    assert.deepEqual(fields['event.type'], ['change', 'admin']);
    assert.equal(fields['event.dataset'], 'azure.activitylogs');
    assert.equal(fields['user.name'], 'mallory@contoso.com');
    assert.equal(fields['user.email'], 'mallory@contoso.com');
    assert.equal(fields['user.id'], '2468adf0-8211-44e3-95a1-85137af64708');
    assert.equal(fields['user.full_name'], 'Mallory Admin');
    assert.equal(fields['source.ip'], '203.0.113.45');
    assert.deepEqual(fields['related.ip'], ['203.0.113.45']);
    assert.deepEqual(fields['related.user'], ['mallory@contoso.com']);
    assert.equal(time, Date.parse('2026-03-02T14:07:31.234Z'));
  });

  it('keeps the names Sigma\'s activity-log rules use: CategoryValue, OperationNameValue, ResourceProviderValue, ResourceId', () => {
    const { fields } = map(ROLE_ASSIGNMENT);
    assert.equal(fields['CategoryValue'], 'Administrative');
    assert.equal(fields['OperationNameValue'], 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE');
    assert.equal(fields['ResourceProviderValue'], 'MICROSOFT.AUTHORIZATION');
    assert.equal(fields['ResourceId'], ROLE_ASSIGNMENT.resourceId);
    assert.equal(fields['ResultType'], 'Success');
  });

  it('REST / az CLI shape: a refused NSG deletion by a service principal is a failed configuration deletion, with operationName as Sigma reads it', () => {
    const { fields, time } = map(NSG_DELETE_REST);
    assert.equal(fields['operationName'], 'Microsoft.Network/networkSecurityGroups/delete');
    assert.equal(fields['operationName.localizedValue'], 'Delete Network Security Group', 'native names stay');
    assert.equal(fields['OperationName'], 'Delete Network Security Group');
    assert.equal(fields['event.action'], 'Microsoft.Network/networkSecurityGroups/delete');
    assert.equal(fields['event.provider'], 'Microsoft.Network');
    assert.equal(fields['event.outcome'], 'failure');
    assert.deepEqual(fields['event.category'], ['configuration']);
    assert.deepEqual(fields['event.type'], ['deletion']);
    assert.equal(fields['cloud.account.id'], SUBSCRIPTION);
    assert.equal(fields['user.name'], '9c1e2f3a-4b5c-4d6e-8f7a-1b2c3d4e5f6a', 'the caller: an application id');
    assert.equal(fields['user.email'], undefined);
    assert.equal(fields['source.ip'], '198.51.100.20');
    assert.equal(fields['event.id'], 'a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d');
    assert.equal(fields['CategoryValue'], 'Administrative');
    assert.equal(fields['ResourceProviderValue'], 'Microsoft.Network');
    assert.equal(time, Date.parse('2026-03-02T09:15:02.485Z'));
  });

  it('other resource logs in the common schema (Storage) get provider, action, outcome and the caller\'s address and port', () => {
    const { fields } = map({
      time: '2026-03-02T19:15:07.295Z',
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/data-rg/providers/Microsoft.Storage/storageAccounts/finance01/blobServices/default`,
      category: 'StorageRead',
      operationName: 'GetBlob',
      operationVersion: '2023-11-03',
      schemaVersion: '1.0',
      statusCode: 403,
      statusText: 'AuthorizationPermissionMismatch',
      durationMs: 4,
      callerIpAddress: '192.0.2.15:57485',
      correlationId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
      location: 'westeurope',
      properties: { accountName: 'finance01', userAgentHeader: 'azsdk-python-storage-blob/12.19.0 Python/3.11.6', serviceType: 'blob', objectKey: '/finance01/reports/q1.xlsx' },
    });
    assert.equal(fields['event.dataset'], 'azure.platformlogs');
    assert.equal(fields['event.provider'], 'Microsoft.Storage');
    assert.equal(fields['event.action'], 'GetBlob');
    assert.equal(fields['event.outcome'], 'failure');
    assert.equal(fields['event.category'], undefined, 'no guess at what a resource log is about');
    assert.equal(fields['source.ip'], '192.0.2.15');
    assert.equal(fields['source.port'], 57485);
    assert.equal(fields['cloud.region'], 'westeurope');
    assert.equal(fields['user_agent.original'], 'azsdk-python-storage-blob/12.19.0 Python/3.11.6');
  });

  it('a Defender for Cloud alert (category Security) is an alert', () => {
    const { fields } = map({ ...ROLE_ASSIGNMENT, category: 'Security', operationName: 'Microsoft.Security/locations/alerts/activate/action', properties: { eventCategory: 'Security', severity: 'High' } });
    assert.equal(fields['event.kind'], 'alert');
    assert.deepEqual(fields['event.category'], ['intrusion_detection']);
  });
});

describe('Microsoft Entra ID sign-in logs', () => {
  it('Entra ID sign-in: a failed password sign-in is a failed authentication from the source IP, with the user and the reason', () => {
    const { fields, time } = map(FAILED_SIGNIN);
    assert.equal(fields['properties.userPrincipalName'], 'alice@contoso.com', 'native name stays');
    assert.equal(fields['event.dataset'], 'azure.signinlogs');
    assert.deepEqual(fields['event.category'], ['authentication']);
    assert.deepEqual(fields['event.type'], ['start']);
    assert.equal(fields['event.action'], 'Sign-in activity');
    assert.equal(fields['event.outcome'], 'failure');
    assert.equal(fields['event.reason'], 'Error validating credentials due to invalid username or password.');
    assert.equal(fields['error.code'], '50126');
    assert.equal(fields['user.name'], 'alice@contoso.com');
    assert.equal(fields['user.email'], 'alice@contoso.com');
    assert.equal(fields['user.id'], '26be570a-ae82-4189-b4e2-a37c6808512d');
    assert.equal(fields['source.ip'], '185.220.101.34');
    assert.equal(fields['source.geo.city_name'], 'Frankfurt am Main');
    assert.equal(fields['source.geo.country_iso_code'], 'DE');
    assert.equal(fields['user_agent.original'], FAILED_SIGNIN.properties.userAgent);
    assert.equal(fields['cloud.account.id'], TENANT);
    assert.deepEqual(fields['related.ip'], ['185.220.101.34']);
    assert.deepEqual(fields['related.user'], ['alice@contoso.com']);
    assert.equal(time, Date.parse('2026-03-02T08:13:52.123Z'), 'when the sign-in happened, not when it was exported');
  });

  it('keeps the names Sigma\'s sign-in rules use: ResultType as a number, ResultDescription, Status, AuthenticationRequirement, DeviceDetail…', () => {
    const { fields } = map(FAILED_SIGNIN);
    assert.equal(fields['resultType'], '50126');
    assert.equal(fields['ResultType'], 50126);
    assert.equal(fields['ResultDescription'], 'Error validating credentials due to invalid username or password.');
    assert.deepEqual(fields['Status'], ['Failure', 'Error validating credentials due to invalid username or password.']);
    assert.equal(fields['AuthenticationRequirement'], 'singleFactorAuthentication');
    assert.equal(fields['conditionalAccessStatus'], 'notApplied');
    assert.equal(fields['ClientApp'], 'Browser');
    assert.equal(fields['ResourceDisplayName'], 'Office 365 SharePoint Online');
    assert.equal(fields['RiskState'], 'none');
    assert.equal(fields['userAgent'], FAILED_SIGNIN.properties.userAgent);
    assert.equal(fields['Location'], 'DE');
    assert.equal(fields['DeviceDetail.isCompliant'], false);
    assert.equal(fields['DeviceDetail.deviceId'], '');
    assert.equal(fields['NetworkLocationDetails'], '[]');
    assert.equal(fields['Username'], 'alice@contoso.com');
  });

  it('a declined MFA prompt is a failure whose Status carries "MFA denied" (azure_mfa_denies)', () => {
    const { fields } = map(MFA_DENIED);
    assert.equal(fields['event.outcome'], 'failure');
    assert.equal(fields['ResultType'], 500121);
    assert.equal(fields['AuthenticationRequirement'], 'multiFactorAuthentication');
    const status = fields['Status'] as string[];
    assert.ok(status.some((s) => /MFA denied/i.test(s)), JSON.stringify(status));
  });

  it('Microsoft Graph signIns: error code 0 is a successful authentication with the user, address and place', () => {
    const { fields, time } = map(GRAPH_SIGNIN);
    assert.equal(fields['cloud.provider'], 'azure');
    assert.equal(fields['event.dataset'], 'azure.signinlogs');
    assert.deepEqual(fields['event.category'], ['authentication']);
    assert.equal(fields['event.outcome'], 'success');
    assert.equal(fields['event.reason'], undefined);
    assert.equal(fields['user.name'], 'bob@contoso.com');
    assert.equal(fields['user.full_name'], 'Bob Jones');
    assert.equal(fields['source.ip'], '131.107.159.37');
    assert.equal(fields['source.geo.city_name'], 'Redmond');
    assert.equal(fields['source.geo.country_iso_code'], 'US');
    assert.equal(fields['ResultType'], 0);
    assert.deepEqual(fields['Status'], ['Success', 'MFA requirement satisfied by claim in the token']);
    assert.equal(fields['riskState'], 'none', 'native Graph name stays');
    assert.equal(fields['DeviceDetail.operatingSystem'], 'Windows 10');
    assert.equal(time, Date.UTC(2026, 2, 2, 7, 56, 37));
  });

  it('a service principal sign-in names the principal as the user', () => {
    const { fields } = map({
      ...FAILED_SIGNIN,
      category: 'ServicePrincipalSignInLogs',
      resultType: '0',
      properties: { id: '55270060-d8fe-435e-9bf2-219a1d456b60', createdDateTime: '2026-03-02T13:59:53.6916803Z', servicePrincipalName: 'backup-automation', servicePrincipalId: '4b6986ec-c49c-40c0-89ce-b2ac51213e39', appId: '3b245ca3-dcce-4a54-a070-49ad8de02963', ipAddress: '20.50.2.10', status: { errorCode: 0 }, resourceDisplayName: 'Azure Storage' },
    });
    assert.equal(fields['event.outcome'], 'success');
    assert.equal(fields['user.name'], 'backup-automation');
    assert.equal(fields['user.id'], '4b6986ec-c49c-40c0-89ce-b2ac51213e39');
    assert.equal(fields['user.email'], undefined);
  });
});

describe('Microsoft Entra ID audit logs', () => {
  it('adding a member to a role is an IAM change by the initiator to the target user, found by Sigma\'s "Add member to role" rule', () => {
    const { fields, time } = map(ADD_MEMBER_TO_ROLE);
    assert.equal(fields['event.dataset'], 'azure.auditlogs');
    assert.equal(fields['event.action'], 'Add member to role');
    assert.equal(fields['event.provider'], 'Core Directory');
    assert.deepEqual(fields['event.category'], ['iam']);
    assert.deepEqual(fields['event.type'], ['creation', 'admin']);
    assert.equal(fields['event.outcome'], 'success');
    assert.equal(fields['user.name'], 'mallory@contoso.com');
    assert.equal(fields['user.id'], '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b');
    assert.equal(fields['user.target.name'], 'eve@contoso.com');
    assert.equal(fields['source.ip'], '198.51.100.23');
    assert.deepEqual(fields['related.user'], ['mallory@contoso.com', 'eve@contoso.com']);
    assert.equal(fields['user_agent.original'], ADD_MEMBER_TO_ROLE.properties.additionalDetails[0]!.value);
    assert.equal(fields['cloud.account.id'], TENANT);
    assert.equal(time, Date.parse('2026-03-02T15:22:09.876Z'));
    // azure_ad_user_added_to_admin_role: operationName + properties.targetResources|contains
    assert.equal(fields['operationName'], 'Add member to role');
    assert.match(String(fields['properties.targetResources']), /Administrator/);
  });

  it('keeps the names Sigma\'s audit rules use: Category, OperationName, ActivityDisplayName, LoggedByService, Status, properties.message, TargetResources…', () => {
    const { fields } = map(ADD_MEMBER_TO_ROLE);
    assert.equal(fields['category'], 'AuditLogs', 'native name stays');
    assert.equal(fields['Category'], 'RoleManagement');
    assert.equal(fields['OperationName'], 'Add member to role');
    assert.equal(fields['ActivityDisplayName'], 'Add member to role');
    assert.equal(fields['LoggedByService'], 'Core Directory');
    assert.equal(fields['Status'], 'Success');
    assert.equal(fields['properties.message'], 'Add member to role');
    assert.equal(fields['Initiatedby'], 'mallory@contoso.com');
    assert.deepEqual(fields['Target'], ['eve@contoso.com', 'Global Administrator']);
    assert.match(String(fields['TargetResources']), /62e90394-69f5-4237-9190-012177145e10/);
    assert.deepEqual(fields['targetResources.type'], ['User', 'Role']);
    assert.ok((fields['TargetResources.ModifiedProperties.DisplayName'] as string[]).includes('Role.DisplayName'));
    assert.ok((fields['TargetResources.modifiedProperties.newValue'] as string[]).includes('"Global Administrator"'));
  });

  it('Microsoft Graph directoryAudits: an end-user consent keeps ConsentContext.IsAdminConsent and the diagnostic-settings names', () => {
    const { fields, time } = map(GRAPH_CONSENT);
    assert.equal(fields['cloud.provider'], 'azure');
    assert.equal(fields['event.dataset'], 'azure.auditlogs');
    assert.equal(fields['event.action'], 'Consent to application');
    assert.deepEqual(fields['event.category'], ['iam']);
    assert.equal(fields['event.outcome'], 'success');
    assert.equal(fields['user.name'], 'bob@contoso.com');
    assert.equal(fields['source.ip'], '192.0.2.77');
    assert.equal(fields['user_agent.original'], 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0');
    assert.equal(fields['ConsentContext.IsAdminConsent'], 'False');
    assert.equal(fields['operationName'], 'Consent to application');
    assert.equal(fields['properties.message'], 'Consent to application');
    assert.equal(fields['properties.result'], 'success');
    assert.deepEqual(fields['targetResources.type'], ['ServicePrincipal']);
    assert.equal(time, Date.parse('2026-03-02T16:01:44.123Z'));
  });

  it('a failed audit activity is a failure with its reason in Status', () => {
    const { fields } = map({
      ...ADD_MEMBER_TO_ROLE,
      operationName: 'Invite external user',
      properties: { ...ADD_MEMBER_TO_ROLE.properties, category: 'UserManagement', activityDisplayName: 'Invite external user', operationType: 'Add', loggedByService: 'Invited Users', result: 'failure', resultReason: 'The invited user is blocked by the cross-tenant access policy.' },
    });
    assert.equal(fields['event.outcome'], 'failure');
    assert.equal(fields['event.reason'], 'The invited user is blocked by the cross-tenant access policy.');
    assert.deepEqual(fields['Status'], ['Failure', 'The invited user is blocked by the cross-tenant access policy.']);
    assert.deepEqual(fields['event.type'], ['creation', 'user']);
  });
});

describe('Azure: recognising the shapes', () => {
  it('a record that merely has a `category` field (or an operationName too) is not taken for Azure', () => {
    for (const record of [
      { category: 'Security', message: 'disk almost full', time: '2026-03-02T10:00:00Z' },
      { category: 'SignInLogs', user: 'alice' },
      { category: 'Administrative', operationName: 'backup/write', time: '2026-03-02T10:00:00Z', correlationId: 'x' },
      { operationName: 'Sign-in activity', level: 'info' },
      { createdDateTime: '2026-03-02T10:00:00Z', userPrincipalName: 'alice@contoso.com' },
    ]) {
      const { fields } = map(record);
      assert.equal(fields['cloud.provider'], undefined, JSON.stringify(record));
      assert.equal(fields['event.action'], undefined, JSON.stringify(record));
    }
  });

  it('reads the lower-case top-level names some exporters write (operationname, resulttype, calleripaddress)', () => {
    const { fields } = map({ calleripaddress: '12.12.12.12', category: 'SignInLogs', operationname: 'Sign-in activity', resourceid: `/tenants/${TENANT}/providers/Microsoft.aadiam`, resulttype: 0, tenantid: TENANT, time: '2026-03-02 10:00:00.123', properties: { userPrincipalName: 'carol@contoso.com', status: { errorCode: 0 } } });
    assert.equal(fields['event.outcome'], 'success');
    assert.equal(fields['source.ip'], '12.12.12.12');
    assert.equal(fields['cloud.account.id'], TENANT);
    assert.equal(fields['ResourceId'], `/tenants/${TENANT}/providers/Microsoft.aadiam`);
  });

  it('the Event Hub envelope {"records": [...]} in a file is one event per record', () => {
    const m = new FileRecordMapper({ tenant: 'default', input: 'file', path: '/tmp/PT1H.json', maxLineBytes: 1 << 20, mapping: jsonRecordMapping, limits }, 'auto');
    const lines = JSON.stringify({ records: [ROLE_ASSIGNMENT, FAILED_SIGNIN, ADD_MEMBER_TO_ROLE] }, null, 2).split('\n');
    assert.deepEqual(lines.flatMap((l) => m.take(l, false)), []);
    const events = m.flush();
    assert.deepEqual(events.map((e) => e.fields['event.dataset']), ['azure.activitylogs', 'azure.signinlogs', 'azure.auditlogs']);
    assert.equal(events[1]!.time, Date.parse('2026-03-02T08:13:52.123Z'));
    assert.equal(events[0]!.original, JSON.stringify(ROLE_ASSIGNMENT));
  });

  it('every Azure record of the Panther test events gets an action and the Azure provider; sign-ins are authentications', (t) => {
    if (!corpusHas('panther-analysis-tests')) return t.skip(`corpus absent: ${corpusPath('panther-analysis-tests')}`);
    let n = 0;
    for (const name of ['azure-activity.logs.ndjson', 'azure-signin.logs.ndjson']) {
      for (const line of readFileSync(corpusPath('panther-analysis-tests', name), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const { fields, time } = map(JSON.parse(line) as Record<string, unknown>);
        const where = `${name}: ${line.slice(0, 160)}`;
        assert.equal(fields['cloud.provider'], 'azure', where);
        assert.equal(typeof fields['event.action'], 'string', where);
        assert.equal(typeof time, 'number', where);
        if (/SignInLogs$/i.test(String(fields['category']))) assert.deepEqual(fields['event.category'], ['authentication'], where);
        n++;
      }
    }
    for (const line of readFileSync(corpusPath('panther-analysis-tests', 'gcp-audit.logs.ndjson'), 'utf8').split('\n')) {
      if (line.trim() !== '') assert.notEqual(map(JSON.parse(line) as Record<string, unknown>).fields['cloud.provider'], 'azure', line.slice(0, 160));
    }
    t.diagnostic(`${n} Azure records`);
  });
});

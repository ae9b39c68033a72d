import type { ApiEvent } from '../api-event.js';
import { assumedRole, ctEvent, iamUser, OTHER_ACCOUNT, ACCOUNT, CONSOLE_AGENT, TERRAFORM_AGENT } from '../case-builders.js';
import type { ApiDetection, DetectionContext } from '../detection.js';
import {
  accountOf,
  apiName,
  type BoundedMap,
  boundedMap,
  fromConsole,
  getEntry,
  isAwsServiceCall,
  isExternalAccount,
  isIacAgent,
  isNamedPerson,
  isPersonLike,
  lambdaApiVersions,
  lambdaFunctionName,
  list,
  obj,
  ownAccount,
  setEntry,
  str,
  wasHabit,
} from './gumshoe-common.js';

/**
 * Lambda persistence: a resource policy that lets anyone or an outside account invoke a function, a function
 * URL that needs no authentication (auth type NONE: anyone on the internet can call the function), a layer
 * (extension) slipped into a function, and function code overwritten by someone other than its usual
 * deployer.
 *
 * "Usual deployer" is learned per function: whoever created it or updated its code before. A person (IAM
 * user, SSO or console session) replacing the code of a function that someone else deploys is Medium; a new
 * automation role doing so is Low; a principal that deployed code on an earlier day is a known pipeline. On a
 * function with no history, only people are reported, at Low; a CI role's first deploy just teaches us.
 *
 * Layers are judged on the function's resulting configuration: the layers the request sets and the layers the
 * response lists (the authoritative result; some records carry them only there). A layer (ignoring its
 * version) the function is not known to use is reported, except when IaC set it. When the request names no
 * layers and the function's layers were never seen (no CreateFunction or configuration response before), the
 * response's layers may predate monitoring: they are reported only for people with their own identity (IAM
 * users, root, federated users, SSO sessions), and taken as the function's baseline for anyone else (a CI
 * role's routine change). Only layers judged this way are learned as known.
 */
const POLICY = 'Persistence:Lambda/ResourcePolicyBackdoor.Gumshoe';
const LAYER = 'Persistence:Lambda/LayerAdded.Gumshoe';
const CODE = 'Persistence:Lambda/FunctionCodeOverwritten.Gumshoe';


/** A layer ARN without its version, so a version bump is not a new layer. */
const layerBase = (arn: string) => arn.replace(/:\d+$/, '');

interface LambdaState {
  /** function → layers (without version) it is known to use. */
  layers: BoundedMap<string[]>;
  /** function → principals that created it or deployed its code, each with its earliest such call. */
  deployers: BoundedMap<Record<string, number>>;
  habits: BoundedMap<number>;
}

const state = (context: DetectionContext) => context.state<LambdaState>('lambda', () => ({ layers: boundedMap(), deployers: boundedMap(), habits: boundedMap() }));

const functionKey = (event: ApiEvent, name: string) => `${ownAccount(event) ?? ''}/${event.region ?? ''}/${name}`;

function layersIn(value: unknown): string[] {
  return list(value)
    .map((l) => str(l) ?? str(obj(l)?.arn))
    .filter((l): l is string => l !== undefined);
}

function learnLayers(context: DetectionContext, key: string, layers: string[]): void {
  const known = getEntry(state(context).layers, key) ?? [];
  const merged = [...new Set([...known, ...layers.map(layerBase)])].slice(-20);
  setEntry(state(context).layers, key, merged, 5000);
}

/** Keeps the five most recent deployers, each at its earliest deploy, whatever order the logs arrive in. */
function addDeployer(context: DetectionContext, key: string, event: ApiEvent): void {
  const deployers = { ...getEntry(state(context).deployers, key) };
  deployers[event.principalKey] = Math.min(deployers[event.principalKey] ?? Infinity, event.time);
  const recent = Object.entries(deployers).sort((a, b) => b[1] - a[1]).slice(0, 5);
  setEntry(state(context).deployers, key, Object.fromEntries(recent), 5000);
}

/** Who had deployed the function before this call: a deployer first seen later is not yet its usual one. */
function deployersBefore(context: DetectionContext, key: string, event: ApiEvent): string[] {
  return Object.entries(getEntry(state(context).deployers, key) ?? {})
    .filter(([, time]) => time <= event.time)
    .map(([principal]) => principal);
}

function onAddPermission(event: ApiEvent, context: DetectionContext, fn: string): void {
  const request = event.request ?? {};
  const principal = str(request.principal) ?? '';
  // A source condition names whose resource (topic, bucket, rule) may invoke: an outside account's SNS
  // topic or EventBridge bus triggering the function is as much a way in as naming that account.
  const source = accountOf(str(request.sourceAccount) ?? '') ?? accountOf(str(request.sourceArn) ?? '');
  if (principal === '*' && !source) {
    if (request.principalOrgID || request.sourceAccount || request.sourceArn) return;
    // A public function URL is a deliberate design more often than a backdoor.
    // The console pairs it with the URL's own call (onFunctionUrl): both are one finding, as the same aggregate.
    const publicUrl = request.functionUrlAuthType === 'NONE';
    context.emit({
      type: POLICY,
      event,
      severity: publicUrl ? 2 : undefined,
      aggregateBy: `${fn}>*`,
      vars: { function: fn, change: 'added a statement to the resource policy of', target: publicUrl ? 'anyone, through a public function URL' : 'anyone (*)' },
    });
    return;
  }
  const account = accountOf(principal) ?? source;
  if (!account || !isExternalAccount(account, event, context.settings)) return;
  const habit = wasHabit(state(context).habits, `invoke>${ownAccount(event)}>${account}`, event.time);
  context.emit({
    type: POLICY,
    event,
    severity: habit ? 2 : undefined,
    aggregateBy: `${fn}>${account}`,
    remoteAccount: { accountId: account, affiliated: false },
    vars: { function: fn, change: 'added a statement to the resource policy of', target: accountOf(principal) ? `AWS account ${account}` : `${principal || 'any principal'} acting for AWS account ${account}` },
  });
}

/**
 * A function URL created or changed to auth type NONE: the function answers anyone on the internet (with the
 * `lambda:InvokeFunctionUrl` statement for `*` that the console adds beside it). Medium by hand; Low through
 * IaC, from the console or as a principal's habit (a team that ships public webhooks).
 */
function onFunctionUrl(event: ApiEvent, context: DetectionContext, fn: string): void {
  const authType = str(event.request?.authType) ?? str(event.response?.authType);
  if (authType !== 'NONE') return;
  const habit = wasHabit(state(context).habits, `public-url>${event.principalKey}`, event.time);
  const url = str(event.response?.functionUrl);
  context.emit({
    type: POLICY,
    event,
    severity: habit || isIacAgent(event.userAgent) || fromConsole(event) ? 2 : 5,
    aggregateBy: `${fn}>*`,
    vars: { function: fn, change: `gave a function URL${url ? ` (${url})` : ''} with auth type NONE to`, target: 'anyone on the internet, through its function URL' },
  });
}

/** The function's layers after a call: request and response, one entry per ARN. */
function resultingLayers(event: ApiEvent): { layers: string[]; requested: boolean; responded: boolean } {
  const request = event.request ?? {};
  const response = event.response;
  const requested = Array.isArray(request.layers);
  // A response with the function's configuration but no `layers` says it has none.
  const responded = response !== null && response !== undefined && Object.keys(response).length > 0;
  return { layers: [...new Set([...layersIn(request.layers), ...layersIn(response?.layers)])], requested, responded };
}

function onConfiguration(event: ApiEvent, context: DetectionContext, fn: string, key: string): void {
  const { layers, requested, responded } = resultingLayers(event);
  const known = getEntry(state(context).layers, key);
  const added = layers.filter((l) => !(known ?? []).includes(layerBase(l)));
  // Without a layer request or any earlier view of the function, its listed layers may simply predate us.
  const judged = requested || known !== undefined || isNamedPerson(event);
  if (added.length && judged && !isIacAgent(event.userAgent)) {
    const foreign = added.find((l) => {
      const account = accountOf(l);
      return account !== null && isExternalAccount(account, event, context.settings) && !wasHabit(state(context).habits, `layer>${ownAccount(event)}>${account}`, event.time);
    });
    const origin = foreign ? `from AWS account ${accountOf(foreign)}, outside the organization` : 'from this account or a known publisher';
    context.emit({
      type: LAYER,
      event,
      severity: foreign ? 5 : undefined,
      aggregateBy: fn,
      vars: { function: fn, layer: foreign ?? added[0], origin: requested ? origin : `${origin}; listed in the call’s resulting configuration` },
    });
  }
  if (layers.length || requested || responded) learnLayers(context, key, layers);
}

function onCodeUpdate(event: ApiEvent, context: DetectionContext, fn: string, key: string): void {
  const deployers = deployersBefore(context, key, event);
  addDeployer(context, key, event);
  // A pipeline that has deployed (any function) on an earlier day is a known deployer.
  const knownDeployer = wasHabit(state(context).habits, `deploy>${event.principalKey}`, event.time);
  if (deployers.includes(event.principalKey) || knownDeployer) return;
  const person = isPersonLike(event) && !isIacAgent(event.userAgent);
  // The API as people know it, without Lambda's version suffix.
  const named = { function: fn, api: apiName(event.api) };
  if (deployers.length) {
    // Someone's hands on a function a pipeline owns is the overwrite; a second pipeline is only noted.
    const usual = `it is normally deployed by ${deployers.join(', ')}`;
    context.emit({ type: CODE, event, severity: person ? 5 : undefined, aggregateBy: fn, vars: { ...named, usual } });
    return;
  }
  if (person) context.emit({ type: CODE, event, aggregateBy: fn, vars: { ...named, usual: 'no earlier deployment of it was seen' } });
}

function onLambdaEvent(event: ApiEvent, context: DetectionContext): void {
  if (event.failed || isAwsServiceCall(event)) return;
  const fn = lambdaFunctionName(event.request?.functionName) ?? lambdaFunctionName(event.response?.functionName);
  if (!fn) return;
  const key = functionKey(event, fn);
  switch (apiName(event.api)) {
    case 'AddPermission':
      return onAddPermission(event, context, fn);
    case 'CreateFunctionUrlConfig':
    case 'UpdateFunctionUrlConfig':
      return onFunctionUrl(event, context, fn);
    case 'CreateFunction':
      addDeployer(context, key, event);
      return learnLayers(context, key, resultingLayers(event).layers);
    case 'UpdateFunctionConfiguration':
      return onConfiguration(event, context, fn, key);
    case 'UpdateFunctionCode':
      return onCodeUpdate(event, context, fn, key);
  }
}

/** Function URL calls, under their CloudTrail names (the 2021-10-31 API version) and plain. */
const URL_APIS = ['CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig'].flatMap((name) => [name, `${name}20211031`]);

const lambda = (name: string, request: Record<string, unknown>, time: string, identity: Record<string, unknown>, extra: { userAgent?: string; response?: Record<string, unknown> } = {}) =>
  ctEvent({ service: 'lambda', name, identity, time, request, ...extra });
const ciRole = assumedRole('GithubActionsDeploy', 'GitHubActions');
/** CreateFunctionUrlConfig (or Update…) of `fn` with `authType`, and the URL in the response. */
const functionUrl = (fn: string, authType: string, time: string, identity: Record<string, unknown>, extra: { userAgent?: string; errorCode?: string; update?: boolean } = {}) =>
  ctEvent({
    service: 'lambda',
    name: extra.update ? 'UpdateFunctionUrlConfig20211031' : 'CreateFunctionUrlConfig20211031',
    identity,
    time,
    userAgent: extra.userAgent,
    errorCode: extra.errorCode,
    request: { functionName: fn, authType },
    response: extra.errorCode ? null : { functionUrl: `https://k7q2x9m4p1ab3cd5ef6gh7ij8kl9mn0o.lambda-url.us-east-1.on.aws/`, functionArn: `arn:aws:lambda:us-east-1:111122223333:function:${fn}`, authType, creationTime: time },
  });
/** The statement the console adds beside a public function URL. */
const urlPermission = (fn: string, time: string, identity: Record<string, unknown>, userAgent?: string) =>
  lambda('AddPermission20150331v2', { functionName: fn, statementId: 'FunctionURLAllowPublicAccess', action: 'lambda:InvokeFunctionUrl', principal: '*', functionUrlAuthType: 'NONE' }, time, identity, { userAgent });
const dev = iamUser('dave');
const layerArn = (account: string, name: string, version: number) => `arn:aws:lambda:us-east-1:${account}:layer:${name}:${version}`;

export const lambdaPersistence: ApiDetection = {
  id: 'gumshoe-lambda-persistence',
  source: 'cloudtrail',
  apis: [...lambdaApiVersions('AddPermission'), ...URL_APIS, ...lambdaApiVersions('CreateFunction'), ...lambdaApiVersions('UpdateFunctionConfiguration'), ...lambdaApiVersions('UpdateFunctionCode')],
  types: [
    {
      type: POLICY,
      dataSource: 'CloudTrailManagement',
      severity: 8,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1098 Account Manipulation' },
      title: 'Lambda function {function} can now be invoked by {target}.',
      description: '{principal} {change} Lambda function {function} from {ip}, which lets {target} invoke it.',
      remediation: 'Read the function’s resource policy (GetPolicy). If the statement is not expected, remove it (RemovePermission), check the function’s invocations since, and rotate the caller’s credentials.',
    },
    {
      type: LAYER,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1574 Hijack Execution Flow' },
      title: 'A new layer was added to Lambda function {function}.',
      description: '{principal} added layer {layer} ({origin}) to Lambda function {function} from {ip}. Layers and extensions run inside the function and can read its events and credentials.',
      remediation: 'Check that the layer is one your team publishes or uses. If not, remove it from the function, inspect the layer’s code, and rotate the function role’s credentials.',
    },
    {
      type: CODE,
      dataSource: 'CloudTrailManagement',
      severity: 2,
      resourceType: 'AccessKey',
      mitre: { tactic: 'TA0003 Persistence', technique: 'T1574 Hijack Execution Flow' },
      title: 'The code of Lambda function {function} was replaced by {principal}.',
      description: '{principal} called {api} on Lambda function {function} from {ip}; {usual}.',
      remediation: 'Compare the deployed code (its CodeSha256) with your pipeline’s last build. If it differs, redeploy from source, review the function’s invocations and the caller’s other activity.',
    },
  ],
  onEvent: onLambdaEvent,
  cases: () => [
    { name: 'Stratus: function invocable by anyone', datasets: [{ stratus: 'aws.persistence.lambda-backdoor-function' }], expect: [POLICY] },
    { name: 'Stratus: function code overwritten by an IAM user', datasets: [{ stratus: 'aws.persistence.lambda-overwrite-code' }], expect: [CODE] },
    { name: 'Panther: IAM user updates code', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionCode', test: 'IAM User Updates Lambda Code' }], expect: [CODE] },
    { name: 'Panther: SSO session updates code', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionCode', test: 'SSO AssumedRole Updates Lambda Code' }], expect: [CODE] },
    { name: 'Panther: federated user updates code', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionCode', test: 'FederatedUser Updates Lambda Code' }], expect: [CODE] },
    {
      name: 'a developer pushes code to a function the CI role deploys (Medium)',
      records: [
        lambda('CreateFunction20150331', { functionName: 'payments-api', runtime: 'python3.12' }, '2026-10-01T09:00:00Z', ciRole),
        lambda('UpdateFunctionCode20150331v2', { functionName: 'payments-api', publish: true }, '2026-10-20T09:00:00Z', ciRole),
        lambda('UpdateFunctionCode20150331v2', { functionName: 'arn:aws:lambda:us-east-1:111122223333:function:payments-api', publish: true }, '2026-11-02T03:12:00Z', dev),
      ],
      expect: [CODE],
    },
    { name: 'a function URL with auth type NONE created from the CLI (Medium)', records: [functionUrl('payments-api', 'NONE', '2026-11-02T10:00:00Z', dev)], expect: [POLICY] },
    {
      name: 'the console’s public function URL (the URL and its public invoke statement: one finding) and Terraform’s (Low)',
      records: [functionUrl('webhook', 'NONE', '2026-11-02T10:00:00Z', assumedRole('AWSReservedSSO_Developer_1a2b3c4d', 'grace@acme.example'), { userAgent: CONSOLE_AGENT }), urlPermission('webhook', '2026-11-02T10:00:01Z', assumedRole('AWSReservedSSO_Developer_1a2b3c4d', 'grace@acme.example'), CONSOLE_AGENT), functionUrl('stripe-hook', 'NONE', '2026-11-02T11:00:00Z', ciRole, { userAgent: TERRAFORM_AGENT })],
      expect: [POLICY],
    },
    {
      name: 'function URLs that need IAM auth, an IAM-auth URL’s CORS change, a refused public URL',
      records: [
        functionUrl('internal-api', 'AWS_IAM', '2026-11-02T10:00:00Z', dev),
        lambda('UpdateFunctionUrlConfig20211031', { functionName: 'internal-api', cors: { allowOrigins: ['https://app.example.com'] } }, '2026-11-02T10:01:00Z', dev, { response: { functionName: 'internal-api', authType: 'AWS_IAM' } }),
        functionUrl('payments-api', 'NONE', '2026-11-02T10:02:00Z', iamUser('intern'), { errorCode: 'AccessDeniedException' }),
      ],
      expect: [],
    },
    {
      name: 'invoke permission for an outside account',
      records: [lambda('AddPermission20150331v2', { functionName: 'payments-api', statementId: 'x', action: 'lambda:InvokeFunction', principal: OTHER_ACCOUNT }, '2026-11-02T10:00:00Z', dev)],
      expect: [POLICY],
    },
    {
      name: 'an outside account’s SNS topic allowed to invoke a function',
      records: [lambda('AddPermission20150331v2', { functionName: 'payments-api', statementId: 'sns', action: 'lambda:InvokeFunction', principal: 'sns.amazonaws.com', sourceArn: `arn:aws:sns:us-east-1:${OTHER_ACCOUNT}:orders` }, '2026-11-02T10:00:00Z', dev)],
      expect: [POLICY],
    },
    {
      name: 'layer from an outside account added to a function (Medium)',
      records: [
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'payments-api', layers: [layerArn(OTHER_ACCOUNT, 'telemetry', 3)] }, '2026-11-02T10:00:00Z', dev, {
          response: { functionName: 'payments-api', layers: [{ arn: layerArn(OTHER_ACCOUNT, 'telemetry', 3), codeSize: 2120 }] },
        }),
      ],
      expect: [LAYER],
    },
    {
      name: 'a same-account extension layer added by hand (Low)',
      records: [lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'payments-api', layers: [layerArn(ACCOUNT, 'my-extension', 1)] }, '2026-11-02T10:00:00Z', dev)],
      expect: [LAYER],
    },
    { name: 'Panther: IAM user adds a layer (only the response lists it)', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionConfiguration', test: 'IAM User Updates Lambda Configuration with Layers' }], expect: [LAYER] },
    { name: 'Panther: SSO session adds a layer (only the response lists it)', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionConfiguration', test: 'SSO AssumedRole Updates Lambda Configuration with Layers' }], expect: [LAYER] },
    { name: 'Panther: federated user adds a layer (only the response lists it)', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionConfiguration', test: 'FederatedUser Updates Lambda Configuration with Layers' }], expect: [LAYER] },
    {
      name: 'a layer that appears only in the response, on a function whose layers were known, is judged rather than learned',
      records: [
        lambda('CreateFunction20150331', { functionName: 'invoices', runtime: 'nodejs20.x', layers: [layerArn(ACCOUNT, 'shared-libs', 3)] }, '2026-10-01T09:00:00Z', ciRole, {
          response: { functionName: 'invoices', layers: [{ arn: layerArn(ACCOUNT, 'shared-libs', 3) }] },
        }),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'invoices', timeout: 30 }, '2026-11-02T10:00:00Z', ciRole, {
          response: { functionName: 'invoices', layers: [{ arn: layerArn(ACCOUNT, 'shared-libs', 3) }, { arn: layerArn(OTHER_ACCOUNT, 'otel-collector', 12) }] },
        }),
      ],
      expect: [LAYER],
    },
    { name: 'Panther: AddPermission events that name no principal', datasets: [{ panther: 'AWS.Potential.Backdoor.Lambda', test: 'Lambda Add Permission Event v2' }, { panther: 'AWS.Potential.Backdoor.Lambda', test: 'Lambda Add Permission Event' }], expect: [] },
    { name: 'Panther: RemovePermission', datasets: [{ panther: 'AWS.Potential.Backdoor.Lambda', test: 'Lambda Remove Permission Event' }], expect: [] },
    { name: 'Panther: configuration change without layers', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionConfiguration', test: 'Lambda Update Function Configuration without Layers' }], expect: [] },
    { name: 'Panther: a CI role’s configuration change lists the function’s layer', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionConfiguration', test: 'AssumedRole Updates Lambda Configuration with Layers (Normal CI/CD)' }], expect: [] },
    {
      name: 'a developer changes the timeout of a function whose layers are known; Terraform sets a new layer',
      records: [
        lambda('CreateFunction20150331', { functionName: 'reports', runtime: 'python3.12', layers: [layerArn(ACCOUNT, 'pandas', 4)] }, '2026-10-01T09:00:00Z', ciRole),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'reports', timeout: 60 }, '2026-11-02T10:00:00Z', dev, {
          response: { functionName: 'reports', layers: [{ arn: layerArn(ACCOUNT, 'pandas', 4) }] },
        }),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'reports', memorySize: 1024 }, '2026-11-02T11:00:00Z', ciRole, {
          userAgent: TERRAFORM_AGENT,
          response: { functionName: 'reports', layers: [{ arn: layerArn(ACCOUNT, 'pandas', 4) }, { arn: layerArn(ACCOUNT, 'powertools', 2) }] },
        }),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'reports', timeout: 90 }, '2026-11-03T10:00:00Z', dev, {
          response: { functionName: 'reports', layers: [{ arn: layerArn(ACCOUNT, 'pandas', 5) }, { arn: layerArn(ACCOUNT, 'powertools', 2) }] },
        }),
      ],
      expect: [],
    },
    { name: 'Panther: DeleteFunction', datasets: [{ panther: 'AWS.Lambda.UpdateFunctionCode', test: 'Delete Function Event' }], expect: [] },
    {
      name: 'service triggers: S3 and API Gateway permissions scoped to their source',
      records: [
        lambda('AddPermission20150331v2', { functionName: 'thumbnailer', action: 'lambda:InvokeFunction', principal: 's3.amazonaws.com', sourceArn: 'arn:aws:s3:::uploads', sourceAccount: ACCOUNT }, '2026-11-02T10:00:00Z', ciRole, { userAgent: TERRAFORM_AGENT }),
        lambda('AddPermission20150331v2', { functionName: 'api', action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com', sourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/*` }, '2026-11-02T10:00:01Z', ciRole, { userAgent: TERRAFORM_AGENT }),
        lambda('AddPermission20150331v2', { functionName: 'api', action: 'lambda:InvokeFunction', principal: '*', principalOrgID: 'o-abc123def4' }, '2026-11-02T10:00:02Z', ciRole, { userAgent: TERRAFORM_AGENT }),
        lambda('AddPermission20150331v2', { functionName: 'fanout', action: 'lambda:InvokeFunction', principal: 'sns.amazonaws.com', sourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:orders` }, '2026-11-02T10:00:03Z', ciRole, { userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
    {
      name: 'CI deploys, a layer version bump, and Terraform managing layers',
      records: [
        lambda('UpdateFunctionCode20150331v2', { functionName: 'orders', publish: true }, '2026-11-01T09:00:00Z', ciRole),
        lambda('UpdateFunctionCode20150331v2', { functionName: 'orders', publish: true }, '2026-11-02T09:00:00Z', ciRole),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'orders', memorySize: 512 }, '2026-11-02T09:00:05Z', ciRole, {
          response: { functionName: 'orders', layers: [{ arn: layerArn(ACCOUNT, 'shared-libs', 7) }] },
        }),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'orders', layers: [layerArn(ACCOUNT, 'shared-libs', 8)] }, '2026-11-02T09:10:00Z', dev),
        lambda('UpdateFunctionConfiguration20150331v2', { functionName: 'billing', layers: [layerArn(OTHER_ACCOUNT, 'vendor-agent', 40)] }, '2026-11-02T09:20:00Z', ciRole, { userAgent: TERRAFORM_AGENT }),
      ],
      expect: [],
    },
  ],
};

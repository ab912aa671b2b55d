import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeylessConfig } from '../../lib/config';
import { partitionOf, QUARANTINE_ATTRIBUTE } from '../../lib/contract';
import { statefulStackPolicy } from '../../lib/contract/stateful-resources';
import type { DeployedIds } from '../../lib/verify/isolation-questions';
import { LocalDeployment, type TemplateJson } from '../support/isolation-answers';
import { evaluatePolicy, thingConnectionContext, type PolicyDocumentJson } from '../support/policy-evaluator';
import { callerIdentityXml, stackMissingXml } from './operator-aws';

/**
 * A stand-in for the AWS APIs `keyless verify` reads, "deployed" from synthesized templates: CloudFormation
 * (DescribeStacks, GetTemplate, GetStackPolicy, DescribeStackResource, SetStackPolicy), IAM (GetRole,
 * SimulatePrincipalPolicy answered by the project's policy evaluator over the deployed templates), AWS IoT
 * (DescribeRoleAlias, DescribeThing, ListThingPrincipals, TestAuthorization answered by evaluating the deployed IoT
 * policy with the thing's attributes), Cognito DescribeIdentityPool, EC2 DescribeVpcEndpoints and S3
 * GetBucketPolicy (path-style), plus STS GetCallerIdentity. One plain-HTTP server on 127.0.0.1; point every
 * AWS_ENDPOINT_URL_<SERVICE> at it. What is deployed can be changed between calls to make verify fail.
 */

interface ThingRecord {
  attributes: Record<string, string>;
  thingTypeName?: string;
  certificateArn: string;
}

export class VerifyAws {
  url = '';
  /** Every request, as `<API> <detail>`. */
  readonly requests: string[] = [];
  /** Deployed templates by stack name; delete one to make the stack missing, change one to make it drift. */
  readonly templates: Map<string, TemplateJson>;
  /** Stack policy bodies by stack name (every stack gets the stateful policy unless changed). */
  readonly stackPolicies = new Map<string, string>();
  /** The registry's things. */
  readonly things = new Map<string, ThingRecord>();
  /** Makes AWS IoT ignore the quarantine attribute: a quarantine that does not hold. */
  quarantineIgnored = false;
  /** What DescribeEndpoint answers for `iot:CredentialProvider` (the credentials endpoint stand-in). */
  credentialsEndpoint = '';
  /** Certificate PEMs by certificate id (DescribeCertificate). */
  readonly certificatePems = new Map<string, string>();
  /** Certificate statuses by id, as UpdateCertificate left them (ACTIVE when never changed). */
  readonly certificateStatuses = new Map<string, string>();
  /** The thing whose credentials S3 requests carry (ListObjectsV2 is judged by the X.509 role for it). */
  s3ThingName: string | undefined;
  private server: Server | undefined;

  constructor(
    readonly config: KeylessConfig,
    templates: ReadonlyMap<string, TemplateJson>,
    readonly deployed: DeployedIds,
  ) {
    this.templates = new Map(
      [...templates].map(([name, t]) => [name, JSON.parse(JSON.stringify(t)) as TemplateJson]),
    );
    for (const name of this.templates.keys())
      this.stackPolicies.set(name, JSON.stringify(statefulStackPolicy()));
    for (const thing of config.iot?.things ?? []) {
      const id = createHash('sha256').update(thing.name).digest('hex');
      this.things.set(thing.name, {
        attributes: {
          ...thing.attributes,
          ...(thing.quarantined ? { [QUARANTINE_ATTRIBUTE.name]: QUARANTINE_ATTRIBUTE.value } : {}),
        },
        thingTypeName: config.iot?.thingType.name,
        certificateArn: `arn:${partitionOf(config.region)}:iot:${config.region}:${config.account}:cert/${id}`,
      });
    }
  }

  /** What is deployed now, as the local evaluator sees it. */
  deployment(): LocalDeployment {
    return new LocalDeployment(this.config, this.templates, this.deployed);
  }

  /** The deployed template of the stack whose name ends with `-<part>`. */
  template(part: string): TemplateJson {
    const entry = [...this.templates].find(([name]) => name.endsWith(`-${part}`));
    if (!entry) throw new Error(`no deployed stack ${part}`);
    return entry[1];
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          this.answer(
            req.method ?? '',
            req.url ?? '',
            req.headers,
            Buffer.concat(chunks).toString('utf8'),
            res,
          );
        } catch (error) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The environment variables that point the SDK (in process or in a child) here. */
  endpointEnv(): Record<string, string> {
    const services = ['STS', 'CLOUDFORMATION', 'IAM', 'IOT', 'COGNITO_IDENTITY', 'EC2', 'S3'];
    return Object.fromEntries(services.map((s) => [`AWS_ENDPOINT_URL_${s}`, this.url]));
  }

  private answer(
    method: string,
    url: string,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    res: ServerResponse,
  ): void {
    const [path, query = ''] = url.split('?');
    const target = headers['x-amz-target'];
    if (typeof target === 'string') return this.cognito(target, body, res);
    const iot = this.iot(method, path, new URLSearchParams(query), body, res);
    if (iot) return;
    if (method === 'GET' && /^\/[^/]+\/?$/.test(path) && new URLSearchParams(query).has('policy')) {
      return this.bucketPolicy(decodeURIComponent(path.replace(/^\/|\/$/g, '')), res);
    }
    if (
      method === 'GET' &&
      /^\/[^/]+\/?$/.test(path) &&
      new URLSearchParams(query).get('list-type') === '2'
    ) {
      return this.listObjects(
        decodeURIComponent(path.replace(/^\/|\/$/g, '')),
        new URLSearchParams(query),
        res,
      );
    }
    this.query(new URLSearchParams(body), res);
  }

  private query(form: URLSearchParams, res: ServerResponse): void {
    const action = form.get('Action') ?? '';
    const xml = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(text);
    };
    const ok = (ns: string, inner: string) =>
      xml(
        200,
        `<${action}Response xmlns="${ns}"><${action}Result>${inner}</${action}Result>` +
          `<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></${action}Response>`,
      );
    const cfn = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
    const iamNs = 'https://iam.amazonaws.com/doc/2010-05-08/';
    const stack = form.get('StackName') ?? '';
    const template = this.templates.get(stack);
    this.requests.push(
      `${action} ${stack || form.get('RoleName') || form.get('PolicySourceArn') || ''}`.trim(),
    );
    switch (action) {
      case 'GetCallerIdentity':
        return xml(
          200,
          callerIdentityXml(
            `arn:aws:sts::${this.config.account}:assumed-role/verify/operator`,
            this.config.account,
          ),
        );
      case 'DescribeStacks': {
        if (!template) return xml(400, stackMissingXml(stack));
        const outputs = Object.entries(template.Outputs ?? {})
          .map(
            ([key, o]) =>
              `<member><OutputKey>${key}</OutputKey><OutputValue>${escape(String(this.deployment().resolve(stack, o.Value)))}</OutputValue></member>`,
          )
          .join('');
        return ok(
          cfn,
          `<Stacks><member><StackName>${stack}</StackName><StackId>id</StackId><StackStatus>UPDATE_COMPLETE</StackStatus>` +
            `<CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks>`,
        );
      }
      case 'GetTemplate':
        if (!template) return xml(400, stackMissingXml(stack));
        return ok(cfn, `<TemplateBody>${escape(JSON.stringify(template))}</TemplateBody>`);
      case 'GetStackPolicy': {
        if (!template) return xml(400, stackMissingXml(stack));
        const policy = this.stackPolicies.get(stack);
        return ok(cfn, policy === undefined ? '' : `<StackPolicyBody>${escape(policy)}</StackPolicyBody>`);
      }
      case 'SetStackPolicy':
        if (!template) return xml(400, stackMissingXml(stack));
        this.stackPolicies.set(stack, form.get('StackPolicyBody') ?? '');
        return ok(cfn, '');
      case 'DescribeStackResource': {
        const logicalId = form.get('LogicalResourceId') ?? '';
        const resource = template?.Resources?.[logicalId];
        if (!resource) return xml(400, stackMissingXml(`${stack}/${logicalId}`));
        return ok(
          cfn,
          `<StackResourceDetail><StackName>${stack}</StackName><LogicalResourceId>${logicalId}</LogicalResourceId>` +
            `<PhysicalResourceId>${escape(this.deployment().physicalId(stack, logicalId))}</PhysicalResourceId>` +
            `<ResourceType>${resource.Type}</ResourceType><LastUpdatedTimestamp>2026-01-01T00:00:00Z</LastUpdatedTimestamp>` +
            '<ResourceStatus>UPDATE_COMPLETE</ResourceStatus></StackResourceDetail>',
        );
      }
      case 'GetRole': {
        const name = form.get('RoleName') ?? '';
        const deployment = this.deployment();
        for (const [stackName, t] of this.templates) {
          for (const [id, r] of Object.entries(t.Resources ?? {})) {
            if (r.Type !== 'AWS::IAM::Role' || deployment.physicalId(stackName, id) !== name) continue;
            const arn = deployment.principalArn({
              label: id,
              stackName,
              logicalId: id,
              type: 'AWS::IAM::Role',
            });
            return ok(
              iamNs,
              `<Role><Path>${String(r.Properties?.Path ?? '/')}</Path><RoleName>${name}</RoleName><RoleId>AROATEST</RoleId>` +
                `<Arn>${arn}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>` +
                `<MaxSessionDuration>${Number(r.Properties?.MaxSessionDuration ?? 3600)}</MaxSessionDuration></Role>`,
            );
          }
        }
        return xml(404, iamError('NoSuchEntity', `The role with name ${name} cannot be found.`));
      }
      case 'SimulatePrincipalPolicy':
        return this.simulate(form, (inner) => ok(iamNs, inner), xml);
      case 'DescribeVpcEndpoints': {
        const id = form.get('VpcEndpointId.1') ?? '';
        const network = [...this.templates].find(([name]) => name.endsWith('-Network'));
        const endpoint =
          network &&
          Object.entries(network[1].Resources ?? {}).find(
            ([, r]) => r.Type === 'AWS::EC2::VPCEndpoint' && r.Properties?.VpcEndpointType === 'Gateway',
          );
        const ec2 = 'http://ec2.amazonaws.com/doc/2016-11-15/';
        if (!network || !endpoint || id !== this.deployed.gatewayEndpointId) {
          return xml(
            400,
            `<Response><Errors><Error><Code>InvalidVpcEndpointId.NotFound</Code><Message>The Vpc Endpoint Id '${escape(id)}' does not exist</Message></Error></Errors><RequestID>1</RequestID></Response>`,
          );
        }
        const policy = JSON.stringify(
          this.deployment().resolve(network[0], endpoint[1].Properties?.PolicyDocument),
        );
        return xml(
          200,
          `<DescribeVpcEndpointsResponse xmlns="${ec2}"><requestId>1</requestId><vpcEndpointSet><item>` +
            `<vpcEndpointId>${id}</vpcEndpointId><vpcEndpointType>Gateway</vpcEndpointType>` +
            `<serviceName>com.amazonaws.${this.config.region}.s3</serviceName><state>available</state>` +
            `<policyDocument>${escape(policy)}</policyDocument></item></vpcEndpointSet></DescribeVpcEndpointsResponse>`,
        );
      }
      default:
        this.requests.push(`unexpected ${action}`);
        return xml(400, iamError('InvalidAction', `unexpected ${action}`));
    }
  }

  private simulate(
    form: URLSearchParams,
    ok: (inner: string) => void,
    xml: (status: number, text: string) => void,
  ): void {
    const arn = form.get('PolicySourceArn') ?? '';
    const deployment = this.deployment();
    const principal = deployment.principalWithArn(arn);
    if (!principal) return xml(404, iamError('NoSuchEntity', `${arn} does not exist`));
    const action = form.get('ActionNames.member.1') ?? '';
    const resource = form.get('ResourceArns.member.1') ?? '*';
    const context: Record<string, string | string[]> = {};
    for (let i = 1; form.has(`ContextEntries.member.${i}.ContextKeyName`); i++) {
      const entry = `ContextEntries.member.${i}`;
      const values: string[] = [];
      for (let j = 1; form.has(`${entry}.ContextKeyValues.member.${j}`); j++) {
        values.push(form.get(`${entry}.ContextKeyValues.member.${j}`)!);
      }
      const list = (form.get(`${entry}.ContextKeyType`) ?? '').endsWith('List');
      context[form.get(`${entry}.ContextKeyName`)!] = list ? values : values[0];
    }
    const policy = form.get('ResourcePolicy');
    const decision = deployment.decide(
      principal,
      { action, resource, context },
      policy ? (JSON.parse(policy) as PolicyDocumentJson) : undefined,
    );
    ok(
      `<IsTruncated>false</IsTruncated><EvaluationResults><member><EvalActionName>${escape(action)}</EvalActionName>` +
        `<EvalResourceName>${escape(resource)}</EvalResourceName><EvalDecision>${decision}</EvalDecision>` +
        '<MatchedStatements/><MissingContextValues/></member></EvaluationResults>',
    );
  }

  private iot(
    method: string,
    path: string,
    query: URLSearchParams,
    body: string,
    res: ServerResponse,
  ): boolean {
    const json = (status: number, value: unknown, errorType?: string): boolean => {
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(value));
      return true;
    };
    const notFound = (what: string) =>
      json(404, { message: `${what} not found` }, 'ResourceNotFoundException');
    let match = /^\/role-aliases\/([^/]+)$/.exec(path);
    if (method === 'GET' && match) {
      const name = decodeURIComponent(match[1]);
      this.requests.push(`DescribeRoleAlias ${name}`);
      const iotAccess = [...this.templates].find(([n]) => n.endsWith('-IotAccess'));
      const alias =
        iotAccess &&
        Object.values(iotAccess[1].Resources ?? {}).find(
          (r) => r.Type === 'AWS::IoT::RoleAlias' && r.Properties?.RoleAlias === name,
        );
      if (!iotAccess || !alias) return notFound(`role alias ${name}`);
      return json(200, {
        roleAliasDescription: {
          roleAlias: name,
          roleAliasArn: `arn:aws:iot:${this.config.region}:${this.config.account}:rolealias/${name}`,
          roleArn: this.deployment().resolve(iotAccess[0], alias.Properties?.RoleArn),
          owner: this.config.account,
          credentialDurationSeconds: alias.Properties?.CredentialDurationSeconds,
        },
      });
    }
    if (method === 'GET' && path === '/endpoint') {
      this.requests.push(`DescribeEndpoint ${query.get('endpointType') ?? ''}`);
      return json(200, { endpointAddress: this.credentialsEndpoint });
    }
    match = /^\/certificates\/([^/]+)$/.exec(path);
    if (method === 'GET' && match) {
      const id = decodeURIComponent(match[1]);
      this.requests.push(`DescribeCertificate ${id}`);
      const pem = this.certificatePems.get(id);
      if (!pem) return notFound(`certificate ${id}`);
      return json(200, {
        certificateDescription: {
          certificateId: id,
          certificatePem: pem,
          status: this.certificateStatuses.get(id) ?? 'ACTIVE',
        },
      });
    }
    // UpdateCertificate: `device quarantine` (which the live check runs) sets the certificate INACTIVE, release ACTIVE.
    if (method === 'PUT' && match) {
      const id = decodeURIComponent(match[1]);
      const status = query.get('newStatus') ?? '';
      this.requests.push(`UpdateCertificate ${id} ${status}`);
      if (!this.certificatePems.has(id)) return notFound(`certificate ${id}`);
      this.certificateStatuses.set(id, status);
      return json(200, {});
    }
    match = /^\/things\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && match) {
      const name = decodeURIComponent(match[1]);
      this.requests.push(`UpdateThing ${name}`);
      const thing = this.things.get(name);
      if (!thing) return notFound(`thing ${name}`);
      const update = JSON.parse(body) as { attributePayload?: { attributes?: Record<string, string> } };
      for (const [key, value] of Object.entries(update.attributePayload?.attributes ?? {})) {
        if (value === '') delete thing.attributes[key];
        else thing.attributes[key] = value;
      }
      return json(200, {});
    }
    match = /^\/things\/([^/]+)(\/principals)?$/.exec(path);
    if (method === 'GET' && match) {
      const name = decodeURIComponent(match[1]);
      const thing = this.things.get(name);
      this.requests.push(`${match[2] ? 'ListThingPrincipals' : 'DescribeThing'} ${name}`);
      if (!thing) return notFound(`thing ${name}`);
      if (match[2]) return json(200, { principals: [thing.certificateArn] });
      return json(200, {
        thingName: name,
        thingArn: `arn:aws:iot:${this.config.region}:${this.config.account}:thing/${name}`,
        thingTypeName: thing.thingTypeName,
        attributes: thing.attributes,
        version: 1,
      });
    }
    if (method === 'POST' && path === '/test-authorization') {
      const request = JSON.parse(body) as {
        principal: string;
        authInfos: { actionType: string; resources: string[] }[];
      };
      const clientId = query.get('clientId') ?? '';
      this.requests.push(`TestAuthorization ${clientId}`);
      const owner = [...this.things].find(([, t]) => t.certificateArn === request.principal);
      if (!owner) return notFound(`certificate ${request.principal}`);
      const thing = this.things.get(clientId);
      const attributes = { ...(thing?.attributes ?? {}) };
      if (this.quarantineIgnored) delete attributes[QUARANTINE_ATTRIBUTE.name];
      const context = thingConnectionContext(
        thing && {
          thingName: clientId,
          thingTypeName: thing.thingTypeName,
          attributes,
          attached: owner[0] === clientId,
        },
      );
      const policy = this.iotPolicy();
      const authResults = request.authInfos.map((info) => {
        const action = `iot:${info.actionType.charAt(0)}${info.actionType.slice(1).toLowerCase()}`;
        const decision = evaluatePolicy(policy, { action, resource: info.resources[0], context });
        return {
          authInfo: info,
          authDecision:
            decision === 'allow' ? 'ALLOWED' : decision === 'deny' ? 'EXPLICIT_DENY' : 'IMPLICIT_DENY',
          missingContextValues: [],
        };
      });
      return json(200, { authResults });
    }
    return false;
  }

  private iotPolicy(): PolicyDocumentJson {
    const [stackName, template] = [...this.templates].find(([n]) => n.endsWith('-IotAccess'))!;
    const policy = Object.values(template.Resources ?? {}).find((r) => r.Type === 'AWS::IoT::Policy')!;
    return this.deployment().resolve<PolicyDocumentJson>(stackName, policy.Properties?.PolicyDocument);
  }

  private cognito(target: string, body: string, res: ServerResponse): void {
    const action = target.split('.').pop() ?? '';
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(value));
    };
    const { IdentityPoolId } = JSON.parse(body || '{}') as { IdentityPoolId?: string };
    this.requests.push(`${action} ${IdentityPoolId ?? ''}`);
    const krypton = [...this.templates].find(([n]) => n.endsWith('-KryptonAccess'));
    const pool =
      krypton &&
      Object.values(krypton[1].Resources ?? {}).find((r) => r.Type === 'AWS::Cognito::IdentityPool');
    if (action !== 'DescribeIdentityPool' || !pool || IdentityPoolId !== this.deployed.identityPoolId) {
      return json(400, {
        __type: 'ResourceNotFoundException',
        message: `IdentityPool '${IdentityPoolId}' not found.`,
      });
    }
    json(200, {
      IdentityPoolId,
      IdentityPoolName: pool.Properties?.IdentityPoolName,
      AllowUnauthenticatedIdentities: pool.Properties?.AllowUnauthenticatedIdentities,
      DeveloperProviderName: pool.Properties?.DeveloperProviderName,
    });
  }

  /** ListObjectsV2 with a thing's credentials: allowed when the X.509 role lets that thing list the prefix. */
  private listObjects(bucket: string, query: URLSearchParams, res: ServerResponse): void {
    const prefix = query.get('prefix') ?? '';
    this.requests.push(`ListObjectsV2 ${bucket} ${prefix}`);
    const deployment = this.deployment();
    const [stackName, template] = [...this.templates].find(([n]) => n.endsWith('-IotAccess'))!;
    const [logicalId] = Object.entries(template.Resources ?? {}).find(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' &&
        JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('credentials.iot'),
    )!;
    const decision = deployment.decide(
      { label: 'X.509 device role', stackName, logicalId, type: 'AWS::IAM::Role' },
      {
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${bucket}`,
        context: {
          's3:prefix': prefix,
          ...(this.s3ThingName ? { 'credentials-iot:ThingName': this.s3ThingName } : {}),
        },
      },
    );
    if (decision !== 'allowed') {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escape(bucket)}</Name>` +
        `<Prefix>${escape(prefix)}</Prefix><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
    );
  }

  private bucketPolicy(bucket: string, res: ServerResponse): void {
    this.requests.push(`GetBucketPolicy ${bucket}`);
    const data = [...this.templates].find(([n]) => n.endsWith('-Data'));
    const deployment = this.deployment();
    const policy =
      data &&
      Object.values(data[1].Resources ?? {}).find(
        (r) =>
          r.Type === 'AWS::S3::BucketPolicy' && deployment.resolve(data[0], r.Properties?.Bucket) === bucket,
      );
    if (!data || !policy) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message><BucketName>${escape(bucket)}</BucketName></Error>`,
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(deployment.resolve(data[0], policy.Properties?.PolicyDocument)));
  }
}

function iamError(code: string, message: string): string {
  return (
    `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error>` +
    '<RequestId>1</RequestId></ErrorResponse>'
  );
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

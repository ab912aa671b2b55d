import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The AWS answers the operator CLI reads, as the SDK's wire protocols spell them: STS and CloudFormation speak
 * the query protocol (form body in, XML out). Tests that run the CLI as a process (test/support/keyless-cli.ts) point
 * AWS_ENDPOINT_URL_STS / _CLOUDFORMATION / _LAMBDA at {@link OperatorAws}; tests with their own server use the
 * builders.
 */

export function callerIdentityXml(arn: string, account: string): string {
  return (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
    `<Arn>${arn}</Arn><UserId>AROATEST:operator</UserId><Account>${account}</Account>` +
    '</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>'
  );
}

/** One deployed stack (`CREATE_COMPLETE`) with these outputs. */
export function describeStacksXml(stackName: string, outputs: Readonly<Record<string, string>>): string {
  const members = Object.entries(outputs)
    .map(
      ([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
    )
    .join('');
  return (
    '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
    `<StackName>${stackName}</StackName><StackId>id</StackId><StackStatus>CREATE_COMPLETE</StackStatus>` +
    `<CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult>` +
    '<ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></DescribeStacksResponse>'
  );
}

/** CloudFormation's answer (400 ValidationError) for a stack that is not deployed. */
export function stackMissingXml(stackName: string): string {
  return (
    '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>' +
    `<Code>ValidationError</Code><Message>Stack with id ${stackName} does not exist</Message></Error>` +
    '<RequestId>2</RequestId></ErrorResponse>'
  );
}

export interface OperatorAwsOptions {
  /** Who the operator's credentials belong to. */
  readonly callerArn: string;
  readonly account: string;
  /** Deployed stacks by name, with their outputs; any other name is not deployed. */
  readonly stacks: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** What a Lambda function answers to Invoke (its payload, JSON-encoded), by function name. */
  readonly functions?: Readonly<Record<string, unknown>>;
}

/**
 * STS GetCallerIdentity, CloudFormation DescribeStacks and Lambda Invoke on one plain-HTTP server on
 * 127.0.0.1 and a free port. Requests are recorded as `GetCallerIdentity`, `DescribeStacks <name>` and
 * `Invoke <function> <payload>`; anything else is answered 400 and recorded as `unexpected <method> <path>`.
 */
export class OperatorAws {
  url = '';
  readonly requests: string[] = [];
  /** Set to make every Invoke fail as an unhandled function error with this message. */
  functionFails: string | undefined;
  private server: Server | undefined;

  constructor(private readonly options: OperatorAwsOptions) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () =>
        this.answer(req.method ?? '', req.url ?? '', Buffer.concat(chunks).toString('utf8'), res),
      );
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

  private answer(method: string, url: string, body: string, res: ServerResponse): void {
    // Lambda Invoke (REST JSON): POST /2015-03-31/functions/<name>/invocations
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(url);
    if (invoke) {
      const name = decodeURIComponent(invoke[1]);
      this.requests.push(`Invoke ${name} ${body}`);
      const json = { 'content-type': 'application/json' };
      if (this.functionFails !== undefined) {
        res.writeHead(200, { ...json, 'x-amz-function-error': 'Unhandled' });
        res.end(JSON.stringify({ errorType: 'Error', errorMessage: this.functionFails }));
      } else if (this.options.functions && name in this.options.functions) {
        res.writeHead(200, json);
        res.end(JSON.stringify(this.options.functions[name]));
      } else {
        res.writeHead(404, { ...json, 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ message: `Function not found: ${name}` }));
      }
      return;
    }
    const form = new URLSearchParams(body);
    const xml = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(text);
    };
    switch (form.get('Action')) {
      case 'GetCallerIdentity':
        this.requests.push('GetCallerIdentity');
        return xml(200, callerIdentityXml(this.options.callerArn, this.options.account));
      case 'DescribeStacks': {
        const name = form.get('StackName') ?? '';
        this.requests.push(`DescribeStacks ${name}`);
        const outputs = this.options.stacks[name];
        return outputs ? xml(200, describeStacksXml(name, outputs)) : xml(400, stackMissingXml(name));
      }
      default:
        this.requests.push(`unexpected ${method} ${url}`);
        return xml(
          400,
          '<ErrorResponse><Error><Code>InvalidAction</Code><Message>unexpected</Message></Error></ErrorResponse>',
        );
    }
  }
}

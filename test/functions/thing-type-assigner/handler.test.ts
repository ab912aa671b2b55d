import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IoTClient, UpdateThingCommand } from '@aws-sdk/client-iot';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handleEvent } from '../../../lib/functions/thing-type-assigner';

/** Stands in for CloudFormation's pre-signed response URL: records every PUT. */
let server: http.Server;
let responses: { method?: string; contentType?: string; body: Record<string, unknown> }[];
let responseUrl: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      responses.push({
        method: req.method,
        contentType: req.headers['content-type'],
        body: JSON.parse(data),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?signature=x`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const iot = mockClient(IoTClient);
beforeEach(() => {
  iot.reset();
  responses = [];
});

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown> = {
    ThingTypeName: 'KeylessSensor',
    ThingNames: ['sensor-001', 'sensor-002'],
  },
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:ap-northeast-1:111111111111:function:KeylessIot-dev-ThingTypeAssigner',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:ap-northeast-1:111111111111:stack/KeylessIot-dev-Fleet-1/guid',
    RequestId: 'request-1',
    LogicalResourceId: 'ThingTypeAssignment',
    ResourceType: 'Custom::ThingTypeAssignment',
    ResourceProperties: { ServiceToken: 'x', ...properties },
  };
  if (requestType === 'Create')
    return { ...base, RequestType: 'Create' } as CloudFormationCustomResourceEvent;
  return {
    ...base,
    RequestType: requestType,
    PhysicalResourceId: 'ThingTypeAssignment-thing-type',
    OldResourceProperties: {},
  } as CloudFormationCustomResourceEvent;
}

describe('thing-type-assigner handler', () => {
  it('sets the type of every listed thing on Create and reports SUCCESS to CloudFormation', async () => {
    iot.on(UpdateThingCommand).resolves({});
    await handleEvent(event('Create'), new IoTClient({ region: 'ap-northeast-1' }));

    expect(iot.commandCalls(UpdateThingCommand).map((call) => call.args[0].input)).toEqual([
      { thingName: 'sensor-001', thingTypeName: 'KeylessSensor' },
      { thingName: 'sensor-002', thingTypeName: 'KeylessSensor' },
    ]);
    expect(responses).toEqual([
      {
        method: 'PUT',
        contentType: '',
        body: {
          Status: 'SUCCESS',
          Reason: 'SUCCESS',
          PhysicalResourceId: 'ThingTypeAssignment-thing-type',
          StackId: expect.stringContaining('KeylessIot-dev-Fleet-1'),
          RequestId: 'request-1',
          LogicalResourceId: 'ThingTypeAssignment',
        },
      },
    ]);
  });

  it('sets every type again on Update (idempotent) and keeps the physical id', async () => {
    iot.on(UpdateThingCommand).resolves({});
    await handleEvent(
      event('Update', { ThingTypeName: 'KeylessSensor', ThingNames: ['a', 'b', 'c'] }),
      new IoTClient({ region: 'ap-northeast-1' }),
    );
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(3);
    expect(responses[0].body).toEqual(
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'ThingTypeAssignment-thing-type' }),
    );
  });

  it('does nothing on Delete: the things go with their stack', async () => {
    await handleEvent(event('Delete'), new IoTClient({ region: 'ap-northeast-1' }));
    expect(iot.commandCalls(UpdateThingCommand)).toHaveLength(0);
    expect(responses[0].body.Status).toBe('SUCCESS');
  });

  it('reports FAILED with the cause when AWS IoT refuses', async () => {
    iot.on(UpdateThingCommand, { thingName: 'sensor-002' }).rejects(
      Object.assign(new Error('Thing type KeylessSensor is deprecated'), {
        name: 'InvalidRequestException',
      }),
    );
    iot.on(UpdateThingCommand, { thingName: 'sensor-001' }).resolves({});
    await handleEvent(event('Create'), new IoTClient({ region: 'ap-northeast-1', maxAttempts: 1 }));
    expect(responses[0].body).toEqual(
      expect.objectContaining({
        Status: 'FAILED',
        Reason: 'InvalidRequestException: Thing type KeylessSensor is deprecated',
      }),
    );
  });

  it('reports FAILED for malformed properties', async () => {
    await handleEvent(event('Create', { ThingTypeName: '', ThingNames: [] }), new IoTClient({}));
    expect(responses[0].body).toEqual(
      expect.objectContaining({
        Status: 'FAILED',
        Reason: 'Error: ThingTypeName must be a non-empty string',
      }),
    );
  });
});

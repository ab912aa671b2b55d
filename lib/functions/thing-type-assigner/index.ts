import { IoTClient, UpdateThingCommand } from '@aws-sdk/client-iot';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import pLimit from 'p-limit';

/**
 * Custom resource behind `Custom::ThingTypeAssignment`: sets the thing type of a Fleet stack's things.
 * `AWS::IoT::Thing` has no ThingTypeName property, so CloudFormation alone cannot give a thing its type, and
 * the IoT policy may require the type before the credentials provider hands out credentials.
 *
 * Properties: `ThingTypeName` (string), `ThingNames` (string[]). Create and Update set the type of every
 * listed thing (UpdateThing is idempotent, so a retried or partly failed deployment converges); Delete does
 * nothing, because the things themselves are deleted with their stack.
 */

const iot = new IoTClient({ retryMode: 'adaptive', maxAttempts: 10 });
const logger = new Logger({ serviceName: 'thing-type-assigner' });

/** Concurrent UpdateThing calls: well under the per-account API rate, with adaptive retry for the rest. */
const CONCURRENCY = 5;

export interface AssignmentProperties {
  readonly thingTypeName: string;
  readonly thingNames: readonly string[];
}

export function readProperties(event: CloudFormationCustomResourceEvent): AssignmentProperties {
  const props = event.ResourceProperties as Record<string, unknown>;
  const thingTypeName = props.ThingTypeName;
  const thingNames = props.ThingNames;
  if (typeof thingTypeName !== 'string' || thingTypeName === '') {
    throw new Error('ThingTypeName must be a non-empty string');
  }
  if (!Array.isArray(thingNames) || !thingNames.every((name) => typeof name === 'string')) {
    throw new Error('ThingNames must be a list of thing names');
  }
  return { thingTypeName, thingNames };
}

/** Sets the thing type of every thing; resolves once all are set, rejects with the first failure. */
export async function assignThingType(
  client: IoTClient,
  { thingTypeName, thingNames }: AssignmentProperties,
  concurrency = CONCURRENCY,
): Promise<void> {
  const limit = pLimit(concurrency);
  await Promise.all(
    thingNames.map((thingName) =>
      limit(() => client.send(new UpdateThingCommand({ thingName, thingTypeName }))),
    ),
  );
}

/** The answer CloudFormation waits for, PUT to the pre-signed ResponseURL of the event. */
export async function sendResponse(
  event: CloudFormationCustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  physicalResourceId: string,
  reason?: string,
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ?? status,
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // The pre-signed URL was signed without a content type: sending one would break the signature.
  const response = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!response.ok) throw new Error(`CloudFormation did not accept the response: HTTP ${response.status}`);
}

export async function handleEvent(
  event: CloudFormationCustomResourceEvent,
  client: IoTClient,
): Promise<void> {
  const physicalResourceId =
    event.RequestType === 'Create' ? `${event.LogicalResourceId}-thing-type` : event.PhysicalResourceId;
  try {
    if (event.RequestType !== 'Delete') {
      const properties = readProperties(event);
      await assignThingType(client, properties);
      logger.info('thing type set', {
        thingTypeName: properties.thingTypeName,
        things: properties.thingNames.length,
      });
    }
    await sendResponse(event, 'SUCCESS', physicalResourceId);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.error('thing type assignment failed', { reason, requestType: event.RequestType });
    await sendResponse(event, 'FAILED', physicalResourceId, reason.slice(0, 1000));
  }
}

export const handler = (event: CloudFormationCustomResourceEvent): Promise<void> => handleEvent(event, iot);

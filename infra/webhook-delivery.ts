import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Stats, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deliveryPolicy } from '#webhooks/delivery.ts';
import { webhookDeadLetterQueueName, webhookQueueName, webhookTable } from '#webhooks/webhook-table.ts';
import type { StageConfig } from './stages.ts';

/**
 * One message per invocation: a fan-out attempts all of a tenant's endpoints in parallel, each
 * within the 10 s delivery deadline, so the timeout is that plus room for DNS, DynamoDB and SQS.
 */
const batchSize = 1;
const timeoutSeconds = Math.ceil(deliveryPolicy.timeoutMs / 1000) + 10;
/** AWS guidance for Lambda event sources: visibility timeout ≥ 6 × the function timeout. */
const visibilityTimeoutSeconds = 6 * timeoutSeconds;
/** Failed deliveries are re-queued by the worker; only a message it cannot handle at all counts here. */
const maxReceiveCount = 5;

export interface WebhookDeliveryProps {
  readonly config: StageConfig;
}

/**
 * Signed webhooks: the endpoints table (endpoints and sent events, shaped as
 * lib/webhooks/webhook-table.ts), the delivery queue with its dead-letter queue, and an alarm as
 * soon as a delivery is dead-lettered. Retries (72 h, back-off up to 1 h) are re-queued by the
 * worker with a delay and an attempt count, as SQS delays at most 15 minutes.
 */
export class WebhookDelivery extends Construct {
  readonly timing = { batchSize, timeoutSeconds, visibilityTimeoutSeconds, maxReceiveCount } as const;
  readonly table: TableV2;
  /** The table name as plain text (`tableName` is a Ref), for function environments. */
  readonly tablePlainName: string;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const { config } = props;
    this.tablePlainName = `smartconnect-relay-${config.stage}-webhooks`;
    // Endpoint secrets live here: the AWS-managed key, and only the webhook functions may read it.
    this.table = new TableV2(this, 'Table', {
      tableName: this.tablePlainName,
      billing: Billing.onDemand(),
      partitionKey: { name: webhookTable.partitionKey, type: AttributeType.STRING },
      sortKey: { name: webhookTable.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: webhookTable.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      removalPolicy: config.tenantsTable.removalPolicy,
      deletionProtection: config.tenantsTable.deletionProtection,
    });
    // Messages hold the event (the transaction as GET returns it: no polling URL, token or secret).
    const common = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true };
    // Named, so the admin CLI finds them for replays and redrives.
    this.deadLetterQueue = new Queue(this, 'DeadLetters', { ...common, queueName: webhookDeadLetterQueueName(config.stage), retentionPeriod: Duration.days(14) });
    this.queue = new Queue(this, 'Deliveries', {
      ...common,
      queueName: webhookQueueName(config.stage),
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: Stats.MAXIMUM })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmName: `smartconnect-relay-${config.stage}-webhook-dead-letters`,
        alarmDescription:
          `The ${config.stage} relay gave up delivering at least one webhook: its endpoint failed for 72 hours (or the worker ` +
          'could not handle the message). The POS can still read the outcome with GET /transactions/{id}. Fix the endpoint, then ' +
          'npm run tenant -- webhooks redrive --stage ' + config.stage + '. See docs/operations.md#webhook-dead-letters.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }

  eventSource(): SqsEventSource {
    return new SqsEventSource(this.queue, { batchSize, reportBatchItemFailures: true });
  }
}

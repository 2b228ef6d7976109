import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Stats, TreatMissingData, type Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './stages.ts';

/** How the poll worker consumes the queue; every number derives from the SmartConnect deadline. */
export interface PollWorkerTiming {
  /** Most messages (polls) one invocation gets. */
  readonly batchSize: number;
  /** The worker's Lambda timeout. */
  readonly timeoutSeconds: number;
  /** Also the delay before a message the worker failed on is tried again. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives of one message before SQS moves it to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/**
 * One message per invocation. The worker handles a batch's messages one after another, each up to
 * the SmartConnect deadline, so a batch of 10 would need a 10 × 13 s = 130 s timeout and, by the
 * 6× rule below, a visibility timeout over 13 minutes. The visibility timeout is also the delay
 * before a failed message is tried again: 13 minutes would put the first retry near the end of
 * SmartConnect's 15-minute polling token (the outcome could no longer be read), and one slow answer
 * would hold back nine other tills' polls. With one message: a 13 s timeout, a retry after 78 s,
 * and a message that keeps failing reaches the dead-letter queue after ~6.5 minutes, while its
 * token still lives. The price is one invocation per poll (cents per million).
 * No batching window: with one message per batch it would only delay the poll.
 */
const batchSize = 1;
/** On top of the deadline: got's connect retries (~1 s + 2 s back-off) and the DynamoDB and SQS calls around the poll. */
const perMessageMarginSeconds = 5;
/** AWS guidance for Lambda event sources: visibility timeout ≥ 6 × the function timeout (+ batching window, none here). */
const visibilityFactor = 6;
/**
 * Transient SmartConnect failures (5xx, 429, network) are re-queued with back-off by the worker
 * itself and never count here; a message is only received again after the worker failed on it.
 */
const maxReceiveCount = 5;

export function pollWorkerTiming(config: StageConfig): PollWorkerTiming {
  const timeoutSeconds = batchSize * (Math.ceil(config.smartConnectTimeoutMs / 1000) + perMessageMarginSeconds);
  return { batchSize, timeoutSeconds, visibilityTimeoutSeconds: visibilityFactor * timeoutSeconds, maxReceiveCount };
}

export interface PollQueueProps {
  readonly config: StageConfig;
}

/**
 * The polling loop: one message (a transaction id) per pending poll, sent with a delay by the
 * create function and by the worker itself until the transaction is final. A dead-letter queue
 * catches messages the worker kept failing on, and an alarm says so.
 */
export class PollQueue extends Construct {
  readonly timing: PollWorkerTiming;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: PollQueueProps) {
    super(scope, id);
    const { config } = props;
    this.timing = pollWorkerTiming(config);
    // Messages hold only a transaction id (the polling URL stays in the table), so SQS-managed
    // encryption is enough, and no function needs a KMS grant.
    const common = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true };
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      ...common,
      // A standard queue keeps a message's first enqueue time when it moves here: keep it well beyond
      // the source queue's 4 days, so nothing expires before someone looks.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Polls', {
      ...common,
      visibilityTimeout: Duration.seconds(this.timing.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.timing.maxReceiveCount },
    });
    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: Stats.MAXIMUM })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmName: `smartconnect-relay-${config.stage}-poll-dead-letters`,
        alarmDescription:
          `The ${config.stage} relay stopped following at least one transaction: its poll message reached the dead-letter queue ` +
          'after the worker failed on it repeatedly, so its record may stay PENDING. The message body names the transaction: ' +
          'check its outcome on the terminal, fix the cause (worker logs), then redrive the message or mark the transaction.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // An idle, empty queue sends no metric: that is the healthy state.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }

  /**
   * The event source of the one function that consumes the queue (it grants its own receive and
   * delete). `maxConcurrency` caps the worker so due polls cannot starve the functions tills call.
   */
  eventSource(maxConcurrency: number): SqsEventSource {
    return new SqsEventSource(this.queue, { batchSize: this.timing.batchSize, reportBatchItemFailures: true, maxConcurrency });
  }
}

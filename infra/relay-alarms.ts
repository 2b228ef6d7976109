import { Duration, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { metricNamespace, MetricName, metricService } from '#runtime/metric-names.ts';
import type { PollQueue } from './poll-queue.ts';
import type { RelayFunction } from './relay-function.ts';
import type { StageConfig } from './stages.ts';

export interface RelayAlarmsProps {
  readonly config: StageConfig;
  readonly api: RestApi;
  /** Every function of the stage, by handler folder. */
  readonly functions: Readonly<Record<string, RelayFunction>>;
  readonly pollQueue: PollQueue;
  readonly tables: readonly TableV2[];
  /** The API access log (JSON lines with `errorType`, `service` and `stage`). */
  readonly accessLogs: ILogGroup;
  /** Alarms other constructs own (e.g. webhook dead letters): they get the same SNS actions. */
  readonly ownedElsewhere?: Readonly<Record<string, Alarm>>;
}

/** One of the relay's own metrics (lib/runtime/metric-names.ts), with the dimensions every one carries. */
export function relayMetric(stage: string, metricName: MetricName, statistic: string, period: Duration): Metric {
  return new Metric({ namespace: metricNamespace, metricName, dimensionsMap: { service: metricService, stage }, statistic, period });
}

/**
 * Every alarm of a stage, each with the stage's SNS topic as its action (alarm and recovery), so a
 * person hears of it. Thresholds come from the stage config. CodeDeploy rolls a deployment back on
 * the ones `rollbackAlarmsFor` returns.
 */
export class RelayAlarms extends Construct {
  readonly topic: Topic;
  /** Every alarm of the stage, by short name (e.g. `api-5xx-rate`, `create-transaction-errors`). */
  readonly alarms: Readonly<Record<string, Alarm>>;
  private readonly stageWide: readonly Alarm[];

  constructor(scope: Construct, id: string, props: RelayAlarmsProps) {
    super(scope, id);
    const { config, api, functions, pollQueue, tables, accessLogs } = props;
    const { stage, alarms: thresholds } = config;
    const period = Duration.minutes(thresholds.periodMinutes);

    this.topic = new Topic(this, 'Topic', {
      topicName: `smartconnect-relay-${stage}-alarms`,
      displayName: `SmartConnect relay ${stage} alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'The topic carries only alarm state changes (alarm name, metric, threshold), never payment or tenant data. CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key for alarm notices is not worth its key policy.',
    });
    for (const email of config.alarmEmails) this.topic.addSubscription(new EmailSubscription(email));

    const alarms: Record<string, Alarm> = {};
    const add = (name: string, metric: IMetric, threshold: number, description: string, options: { lessThan?: boolean } = {}): Alarm => {
      const alarm = new Alarm(this, name, {
        alarmName: `smartconnect-relay-${stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: options.lessThan ? ComparisonOperator.LESS_THAN_THRESHOLD : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No traffic sends no data: that is healthy, not an alarm.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarms[name] = alarm;
      return alarm;
    };

    add('api-5xx-rate', api.metricServerError({ statistic: Stats.AVERAGE, period }), thresholds.api5xxRate,
      `At least ${thresholds.api5xxRate * 100}% of ${stage} API requests were answered 5xx. See docs/operations.md#api-5xx-rate.`);
    add('api-latency-p99', api.metricLatency({ statistic: Stats.p(99), period }), thresholds.apiLatencyP99Ms,
      `The ${stage} API's p99 latency reached ${thresholds.apiLatencyP99Ms} ms. See docs/operations.md#api-latency-p99.`);

    for (const [handler, fn] of Object.entries(functions)) {
      add(`${handler}-errors`, fn.metricErrors({ statistic: Stats.SUM, period }), thresholds.functionErrors,
        `${handler} (${stage}) failed ${thresholds.functionErrors}+ invocations in ${thresholds.periodMinutes} minutes. See docs/operations.md#function-errors.`);
      add(`${handler}-throttles`, fn.metricThrottles({ statistic: Stats.SUM, period }), thresholds.functionThrottles,
        `${handler} (${stage}) was throttled: Lambda refused invocations (concurrency). See docs/operations.md#function-throttles.`);
    }

    // API Gateway has no authorizer metric: the access log names the error type of each request.
    const authorizerFailures = new MetricFilter(this, 'AuthorizerFailuresFilter', {
      logGroup: accessLogs,
      filterPattern: FilterPattern.any(
        FilterPattern.stringValue('$.errorType', '=', 'AUTHORIZER_FAILURE'),
        FilterPattern.stringValue('$.errorType', '=', 'AUTHORIZER_CONFIGURATION_ERROR'),
      ),
      metricNamespace,
      metricName: MetricName.authorizerFailures,
      metricValue: '1',
      dimensions: { service: '$.service', stage: '$.stage' },
    });
    add('authorizer-failures', authorizerFailures.metric({ statistic: Stats.SUM, period, dimensionsMap: { service: metricService, stage } }),
      thresholds.authorizerFailures,
      `The ${stage} authorizer failed (500 authorizer-failure): tenants could not be authenticated. See docs/operations.md#authorizer-failures.`);

    add('poll-oldest-message', pollQueue.queue.metricApproximateAgeOfOldestMessage({ statistic: Stats.MAXIMUM, period }),
      thresholds.oldestPollMessageSeconds,
      `A ${stage} poll waited ${thresholds.oldestPollMessageSeconds}+ s in the queue: outcomes are falling behind, and SmartConnect's 15-minute token may run out. See docs/operations.md#poll-oldest-message.`);

    alarms['poll-dead-letters'] = pollQueue.deadLetterAlarm;
    Object.assign(alarms, props.ownedElsewhere);

    add('unknown-outcomes', relayMetric(stage, MetricName.unknownOutcomes, Stats.SUM, period), 1,
      `A ${stage} transaction ended UNKNOWN: a cashier must reconcile it on the terminal. See docs/operations.md#unknown-outcomes.`);

    const smartConnectErrorRate = new MathExpression({
      expression: 'IF(requests > 0, errors / requests, 0)',
      usingMetrics: {
        errors: relayMetric(stage, MetricName.smartConnectErrors, Stats.SUM, period),
        requests: relayMetric(stage, MetricName.smartConnectRequests, Stats.SUM, period),
      },
      label: 'SmartConnect error rate',
      period,
    });
    add('smartconnect-error-rate', smartConnectErrorRate, thresholds.smartConnectErrorRate,
      `At least ${thresholds.smartConnectErrorRate * 100}% of ${stage} calls to SmartConnect failed (5xx, timeout, connection). See docs/operations.md#smartconnect-error-rate.`);

    for (const table of tables) {
      const name = table.node.id.toLowerCase();
      const throttles = new MathExpression({
        expression: 'reads + writes',
        usingMetrics: {
          reads: table.metric('ReadThrottleEvents', { statistic: Stats.SUM, period }),
          writes: table.metric('WriteThrottleEvents', { statistic: Stats.SUM, period }),
        },
        label: `${name} throttled requests`,
        period,
      });
      add(`${name}-dynamodb-throttles`, throttles, thresholds.dynamoThrottles,
        `DynamoDB throttled requests on the ${stage} ${name} table. See docs/operations.md#dynamodb-throttles.`);
    }

    const action = new SnsAction(this.topic);
    for (const alarm of Object.values(alarms)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms = alarms;
    this.stageWide = [alarms['api-5xx-rate']!, alarms['api-latency-p99']!, alarms['unknown-outcomes']!, alarms['smartconnect-error-rate']!];
  }

  /** What rolls a deployment of this function back: its own errors and throttles, and the stage-wide symptoms. */
  rollbackAlarmsFor(handler: string): Alarm[] {
    return [this.alarms[`${handler}-errors`]!, this.alarms[`${handler}-throttles`]!, ...this.stageWide];
  }
}

import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AlarmStatusWidget, Dashboard, GraphWidget, Stats, TextWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { MetricName } from '#runtime/metric-names.ts';
import { relayMetric, type RelayAlarms } from './relay-alarms.ts';
import type { PollQueue } from './poll-queue.ts';
import type { RelayFunction } from './relay-function.ts';
import type { StageConfig } from './stages.ts';

export interface RelayDashboardProps {
  readonly config: StageConfig;
  readonly api: RestApi;
  readonly functions: Readonly<Record<string, RelayFunction>>;
  readonly pollQueue: PollQueue;
  readonly alarms: RelayAlarms;
}

/** `smartconnect-relay-<stage>`: the alarms, then traffic, SmartConnect, transactions and the poll loop. */
export class RelayDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RelayDashboardProps) {
    super(scope, id);
    const { config, api, functions, pollQueue, alarms } = props;
    const { stage } = config;
    const period = Duration.minutes(5);
    const relay = (name: MetricName, statistic: string = Stats.SUM) => relayMetric(stage, name, statistic, period);
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) => new GraphWidget({ title, left, right, width: 12, height: 6 });
    const fns = Object.entries(functions);

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `smartconnect-relay-${stage}` });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# SmartConnect relay (${stage})\nWhat each alarm means and what to do: docs/operations.md`, width: 24, height: 2 }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(alarms.alarms), width: 24, height: 6 }));
    this.dashboard.addWidgets(
      graph('API requests and errors', [api.metricCount({ period }), api.metricClientError({ period }), api.metricServerError({ period })]),
      graph('API latency (p50, p99)', [api.metricLatency({ statistic: Stats.p(50), period }), api.metricLatency({ statistic: Stats.p(99), period })]),
    );
    this.dashboard.addWidgets(
      graph('SmartConnect calls', [
        relay(MetricName.smartConnectRequests),
        relay(MetricName.smartConnectErrors),
        relay(MetricName.smartConnectRejections),
        relay(MetricName.smartConnectRateLimited),
      ]),
      graph('SmartConnect latency (p50, p99)', [relay(MetricName.smartConnectLatency, Stats.p(50)), relay(MetricName.smartConnectLatency, Stats.p(99))]),
    );
    this.dashboard.addWidgets(
      graph('Pairings and transactions', [
        relay(MetricName.pairings),
        relay(MetricName.transactionsStarted),
        relay(MetricName.transactionsCompleted),
        relay(MetricName.unknownOutcomes),
      ]),
      graph('Poll loop', [relay(MetricName.pollAttempts), pollQueue.queue.metricApproximateNumberOfMessagesVisible({ period })], [
        pollQueue.queue.metricApproximateAgeOfOldestMessage({ period }),
        pollQueue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Function errors', fns.map(([, fn]) => fn.metricErrors({ period, label: fn.node.id }))),
      graph('Function throttles and authorizer failures', [
        ...fns.map(([, fn]) => fn.metricThrottles({ period, label: fn.node.id })),
        relay(MetricName.authorizerFailures),
      ]),
    );
  }
}

/** Each stage's poll queue and webhook delivery queue, their workers, dead-letter queues and alarms. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { deliveryPolicy } from '#webhooks/delivery.ts';
import { stages } from '../../infra/stages.ts';
import { relay, templates, synthesizeRelayApp, resourcesOf, mappingFor, mappingOf, only, logicalId } from './support/relay-template.ts';

beforeAll(synthesizeRelayApp);

describe.each(['dev', 'prod'] as const)('the %s stage', (stage) => {
  const config = stages[stage];

  test('polls through an encrypted, TLS-only queue whose failures go to a dead-letter queue', () => {
    const stack = relay.stacks[stage];
    const queues = resourcesOf(stage, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    const pollQueueId = logicalId(stage, stack.pollQueue.queue);
    const deadLetterId = logicalId(stage, stack.pollQueue.deadLetterQueue);
    const { timing } = stack.pollQueue;
    expect(queues[pollQueueId]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: timing.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: 5 },
      Tags: expect.anything(),
    });
    expect(queues[deadLetterId]!.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400, Tags: expect.anything() });
    for (const queueId of [pollQueueId, deadLetterId]) {
      templates[stage].hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
            },
          ],
        },
      });
    }
  });

  test('feeds the worker one poll at a time, reporting failed items, with timeouts that fit the SmartConnect deadline and token', () => {
    const stack = relay.stacks[stage];
    const { timing } = stack.pollQueue;
    const mapping = only(mappingFor(stage, stack.functions['poll-transaction']!));
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stage, stack.pollQueue.queue), 'Arn'] },
      // The live alias (what CodeDeploy moves), never $LATEST.
      FunctionName: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':live'])] }),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // Capped so due polls cannot starve the functions tills call.
      ScalingConfig: { MaximumConcurrency: config.concurrency.pollWorkerMax },
      Tags: expect.anything(),
    });
    const worker = resourcesOf(stage, 'AWS::Lambda::Function')[logicalId(stage, stack.functions['poll-transaction']!)]!;
    const queue = resourcesOf(stage, 'AWS::SQS::Queue')[logicalId(stage, stack.pollQueue.queue)]!;
    // One poll, its connect retries and the table and queue calls around it, per message in the batch.
    expect(worker.Properties.Timeout * 1000).toBeGreaterThanOrEqual(mapping.Properties.BatchSize * (config.smartConnectTimeoutMs + 4_000));
    // AWS guidance for Lambda event sources: at least six times the function timeout.
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Properties.Timeout);
    // A message the worker keeps failing on reaches the dead-letter queue (and the alarm) while SmartConnect still has the outcome.
    expect(timing.maxReceiveCount * queue.Properties.VisibilityTimeout).toBeLessThan(config.smartConnectTokenTtlSeconds);
  });

  test('alarms as soon as the dead-letter queue holds a message', () => {
    const stack = relay.stacks[stage];
    expect(JSON.stringify(mappingOf(stage).Properties.FunctionName)).toContain(logicalId(stage, stack.functions['poll-transaction']!.live));
    const alarm = only(Object.values(resourcesOf(stage, 'AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName === `smartconnect-relay-${stage}-poll-dead-letters`));
    expect(alarm.Properties).toMatchObject({
      AlarmName: `smartconnect-relay-${stage}-poll-dead-letters`,
      AlarmDescription: expect.stringContaining('PENDING'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stage, stack.pollQueue.deadLetterQueue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('delivers webhooks from an encrypted, TLS-only queue with a dead-letter queue, one message per invocation', () => {
    const stack = relay.stacks[stage];
    const { timing } = stack.webhooks;
    const queues = resourcesOf(stage, 'AWS::SQS::Queue');
    const queueId = logicalId(stage, stack.webhooks.queue);
    const deadLetterId = logicalId(stage, stack.webhooks.deadLetterQueue);
    expect(queues[queueId]!.Properties).toEqual({
      QueueName: `smartconnect-relay-${stage}-webhooks`,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: timing.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: 5 },
      Tags: expect.anything(),
    });
    expect(queues[deadLetterId]!.Properties).toEqual({
      QueueName: `smartconnect-relay-${stage}-webhook-dead-letters`,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
      Tags: expect.anything(),
    });
    const worker = stack.functions['deliver-webhook']!;
    const mapping = only(mappingFor(stage, worker));
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':live'])] }),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      Tags: expect.anything(),
    });
    const fn = resourcesOf(stage, 'AWS::Lambda::Function')[logicalId(stage, worker)]!;
    // The 10 s delivery deadline fits, and SQS waits six function timeouts before redelivering.
    expect(fn.Properties.Timeout * 1000).toBeGreaterThan(deliveryPolicy.timeoutMs);
    expect(queues[queueId]!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
  });

  test('alarms as soon as a webhook delivery is dead-lettered', () => {
    const stack = relay.stacks[stage];
    const alarm = only(Object.values(resourcesOf(stage, 'AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName.endsWith('-webhook-dead-letters')));
    expect(alarm.Properties).toMatchObject({
      AlarmName: `smartconnect-relay-${stage}-webhook-dead-letters`,
      AlarmDescription: expect.stringContaining('webhooks redrive'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stage, stack.webhooks.deadLetterQueue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

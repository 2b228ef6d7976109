import type { Stage as ApiStage } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { problemJson } from './gateway-problems.ts';
import type { StageConfig } from './stages.ts';

/** WAF's bounds for a rate-based rule's limit. */
export const wafRateLimitBounds = { min: 10, max: 2_000_000_000 } as const;

/** `Retry-After` of a request the per-IP rule blocked: WAF re-evaluates the rate continuously, over the last 5 minutes. */
export const ipRateLimitRetryAfterSeconds = 60;

/** An AWS managed rule group, with the rules whose action the relay turns into Count (and why). */
interface ManagedGroup {
  readonly name: string;
  readonly countInstead?: Readonly<Record<string, string>>;
}

export const managedRuleGroups: readonly ManagedGroup[] = [
  // Addresses AWS threat intelligence has seen in bots and attacks: cheap (25 WCU), so it goes first.
  { name: 'AWSManagedRulesAmazonIpReputationList' },
  {
    name: 'AWSManagedRulesCommonRuleSet',
    countInstead: {
      // Blocks bodies over 8 KB, all WAF inspects for a regional API. A sale's SaleData line items
      // legitimately exceed that; the handlers refuse bodies over 64 KB themselves (413).
      SizeRestrictions_BODY: 'bodies between 8 and 64 KB are legitimate; the relay enforces its own 64 KB limit',
      // .NET's HttpClient, common on Windows POS, sends no User-Agent unless told to: blocking those
      // would lock whole POS platforms out on prod only. Every request still needs an API key.
      NoUserAgent_HEADER: 'POS HTTP clients (.NET HttpClient) send no User-Agent by default',
    },
  },
  // Request patterns of known exploits (Log4j, Java deserialisation, localhost Host headers…).
  { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
];

export interface WebFirewallProps {
  readonly config: StageConfig;
  readonly apiStage: ApiStage;
}

/**
 * The stage's AWS WAF web ACL (REGIONAL, like the API): AWS managed rule groups and a per-IP
 * rate-based rule, allowing everything else. Metrics go to CloudWatch per rule.
 *
 * Sampled requests are off: WAF keeps them with all headers for three hours, and the Authorization
 * header carries a tenant's live API key, which the relay otherwise never stores in plain text.
 * To investigate a false positive, turn them on briefly, or add WAF logging with the
 * `authorization` header redacted.
 */
export class WebFirewall extends Construct {
  readonly webAcl: CfnWebACL;
  readonly association: CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const { config, apiStage } = props;
    const metricPrefix = `smartconnect-relay-${config.stage}`;
    const visibility = (metric: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${metricPrefix}-${metric}`,
      sampledRequestsEnabled: false,
    });

    const managedRules = managedRuleGroups.map(
      (group): CfnWebACL.RuleProperty => ({
        name: group.name,
        priority: 0,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: group.name,
            ...(group.countInstead
              ? { ruleActionOverrides: Object.keys(group.countInstead).map((name) => ({ name, actionToUse: { count: {} } })) }
              : {}),
          },
        },
        visibilityConfig: visibility(group.name),
      }),
    );
    const [ipReputation, ...contentRules] = managedRules;
    const rateRule: CfnWebACL.RuleProperty = {
      name: 'RateLimitPerIp',
      priority: 0,
      // A 429 with Retry-After and a problem body, like the relay's own rate limiting, instead of a bare 403.
      action: {
        block: {
          customResponse: {
            responseCode: 429,
            customResponseBodyKey: 'ip-rate-limited',
            responseHeaders: [{ name: 'Retry-After', value: String(ipRateLimitRetryAfterSeconds) }],
          },
        },
      },
      statement: { rateBasedStatement: { limit: config.waf.rateLimitPer5Minutes, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
      visibilityConfig: visibility('RateLimitPerIp'),
    };

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: metricPrefix,
      // WAF refuses parentheses and most punctuation in descriptions.
      description: `SmartConnect relay ${config.stage} - AWS managed rules and a per-IP rate limit`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      // Order: drop known-bad addresses, then floods, before the costlier content inspection.
      rules: [ipReputation!, rateRule, ...contentRules].map((rule, priority) => ({ ...rule, priority })),
      customResponseBodies: {
        'ip-rate-limited': {
          // WAF offers no application/problem+json; the body is the same problem all the same.
          contentType: 'APPLICATION_JSON',
          content: problemJson({
            status: 429,
            code: 'ip-rate-limited',
            title: 'Too many requests from this address',
            detail: `Nothing was sent to the terminal. More than ${config.waf.rateLimitPer5Minutes} requests came from your IP address in 5 minutes: wait ${ipRateLimitRetryAfterSeconds} s and try again.`,
          }),
        },
      },
      visibilityConfig: visibility('WebAcl'),
    });
    this.association = new CfnWebACLAssociation(this, 'Association', {
      resourceArn: apiStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

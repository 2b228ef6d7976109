/**
 * The relay's own CloudWatch metrics: one list for the functions that emit them (Powertools
 * Metrics, EMF) and for the infrastructure that alarms on them and draws the dashboard. Every
 * metric carries the dimensions `service` and `stage` and nothing else, so an alarm can name it
 * exactly; details (status code, reason, transaction type) travel as EMF metadata in the log line.
 */
export const metricNamespace = 'SmartConnectRelay';

/** Powertools' service dimension (POWERTOOLS_SERVICE_NAME). */
export const metricService = 'smartconnect-relay';

export const MetricName = {
  /** Every HTTP exchange with SmartConnect (pairing, create, poll). */
  smartConnectRequests: 'SmartConnectRequests',
  /** Exchanges SmartConnect failed: 5xx, redirect, unreadable answer, timeout, connection failure. */
  smartConnectErrors: 'SmartConnectErrors',
  /** SmartConnect's own refusals (4xx other than 429). */
  smartConnectRejections: 'SmartConnectRejections',
  /** SmartConnect's 429s (busy terminal, polls too close together). */
  smartConnectRateLimited: 'SmartConnectRateLimited',
  /** Milliseconds from request to answer (or failure). */
  smartConnectLatency: 'SmartConnectLatency',
  /** Registers paired. */
  pairings: 'Pairings',
  /** Transactions started on a terminal (metadata: transactionType). */
  transactionsStarted: 'TransactionsStarted',
  /** Transactions that reached a final outcome (metadata: transactionType, outcome). */
  transactionsCompleted: 'TransactionsCompleted',
  /** Transactions that ended UNKNOWN (metadata: reason): each one needs a cashier to reconcile. */
  unknownOutcomes: 'UnknownOutcomes',
  /** Polls of SmartConnect's polling URL. */
  pollAttempts: 'PollAttempts',
  /** Authorizer failures (AUTHORIZER_FAILURE / configuration errors), from the API access log. */
  authorizerFailures: 'AuthorizerFailures',
} as const;

export type MetricName = (typeof MetricName)[keyof typeof MetricName];

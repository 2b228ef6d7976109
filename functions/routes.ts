/**
 * The relay's HTTP surface, in one place: the CDK stack builds one API Gateway method and one
 * Lambda function per entry, and the local server serves the same table, so a route cannot
 * exist in one and not the other. `handler` names the folder `functions/<handler>/handler.ts`.
 */
export interface RelayRoute {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** API Gateway resource path; `{name}` segments arrive as `event.pathParameters.name`. */
  readonly path: string;
  readonly handler: string;
  /** What the function needs besides the SmartConnect environment (least privilege per function). */
  readonly needs: readonly ('smartconnect' | 'transactions-read' | 'transactions-write' | 'poll-queue' | 'webhooks' | 'webhook-queue')[];
  /** Reachable without an API key. Only the health check: everything else goes through the authorizer. */
  readonly public?: true;
}

export const relayRoutes: readonly RelayRoute[] = [
  { method: 'GET', path: '/health', handler: 'health', needs: [], public: true },
  { method: 'PUT', path: '/pairing/{pairingCode}', handler: 'pair-register', needs: ['smartconnect'] },
  { method: 'POST', path: '/transactions', handler: 'create-transaction', needs: ['smartconnect', 'transactions-write', 'poll-queue', 'webhook-queue'] },
  { method: 'GET', path: '/transactions', handler: 'list-transactions', needs: ['transactions-read'] },
  { method: 'GET', path: '/transactions/{transactionId}', handler: 'get-transaction', needs: ['transactions-read'] },
  // Webhook endpoints (lib/webhooks): `webhooks` is the endpoints table, read and written.
  { method: 'POST', path: '/webhook-endpoints', handler: 'create-webhook-endpoint', needs: ['webhooks'] },
  { method: 'GET', path: '/webhook-endpoints', handler: 'list-webhook-endpoints', needs: ['webhooks'] },
  { method: 'DELETE', path: '/webhook-endpoints/{endpointId}', handler: 'delete-webhook-endpoint', needs: ['webhooks'] },
  { method: 'POST', path: '/webhook-endpoints/{endpointId}/rotate-secret', handler: 'rotate-webhook-endpoint', needs: ['webhooks'] },
];

/** The API Gateway Lambda authorizer in front of every non-public route (functions/authorize). */
export const relayAuthorizer = { handler: 'authorize' } as const;

/**
 * Functions that are not HTTP routes. `poll-transaction` consumes the poll queue: one SmartConnect
 * poll per message, re-queued with a delay until the transaction is final (and publishes webhook
 * events). `deliver-webhook` consumes the webhook queue.
 */
export const relayWorkers = [
  { handler: 'poll-transaction', needs: ['transactions-write', 'poll-queue', 'webhook-queue'] },
  { handler: 'deliver-webhook', needs: ['webhooks', 'webhook-queue'] },
] as const satisfies readonly { handler: string; needs: RelayRoute['needs'] }[];

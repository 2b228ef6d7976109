/**
 * The relay's HTTP surface, in one place: the CDK stack builds one API Gateway method and one
 * Lambda function per entry, and the local server serves the same table, so a route cannot
 * exist in one and not the other. `handler` names the folder `functions/<handler>/handler.ts`.
 */
export interface RelayRoute {
  readonly method: 'GET' | 'PUT' | 'POST';
  /** API Gateway resource path; `{name}` segments arrive as `event.pathParameters.name`. */
  readonly path: string;
  readonly handler: string;
}

export const relayRoutes: readonly RelayRoute[] = [
  { method: 'PUT', path: '/pairing/{pairingCode}', handler: 'pair-register' },
];

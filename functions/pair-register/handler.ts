// Placeholder so the CDK app can synthesize while the pairing handler is being written.
export const handler = async () => ({ statusCode: 501, body: '{}' });

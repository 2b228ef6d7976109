/** Item 5's malformed-request classes: what no HTTP client would send, but anyone can. */
const big = 'x'.repeat(64 * 1024);

/** [name, request line, extra header lines ('!no-host' drops Host), body]. */
export const malformedClasses: readonly [string, string, string[], string?][] = [
  ['bad percent-encoding in a path parameter', 'GET /transactions/%zz HTTP/1.1', []],
  ['truncated UTF-8 in a path parameter', 'PUT /pairing/%E0%A4%A HTTP/1.1', ['Content-Type: application/json'], '{}'],
  ['an encoded NUL in a path parameter', 'GET /transactions/%00 HTTP/1.1', []],
  ['bad percent-encoding in a query key', 'GET /transactions?%zz=1 HTTP/1.1', []],
  ['bad percent-encoding in a query value', 'GET /transactions?posRegisterId=%E0%A4 HTTP/1.1', []],
  ['__proto__ as a query key', 'GET /transactions?__proto__=1 HTTP/1.1', []],
  ['constructor as a query key', 'GET /transactions?constructor=1 HTTP/1.1', []],
  ['prototype and toString as query keys', 'GET /transactions?prototype=1&toString=2&hasOwnProperty=3 HTTP/1.1', []],
  ['__proto__ as a header name', 'GET /transactions HTTP/1.1', ['__proto__: 1']],
  ['constructor as a header name', 'POST /transactions HTTP/1.1', ['constructor: 1', 'Content-Type: application/json'], '{}'],
  ['prototype and hasOwnProperty as header names', 'GET /transactions/%zz HTTP/1.1', ['prototype: 1', 'hasOwnProperty: 1', 'toString: 1']],
  ['// as the path', 'GET // HTTP/1.1', []],
  ['/// and a route behind it', 'GET ///transactions HTTP/1.1', []],
  ['/.. as the path', 'GET /.. HTTP/1.1', []],
  ['dot segments before a route', 'GET /../transactions/%2e%2e HTTP/1.1', []],
  ['an encoded slash in a path parameter', 'GET /transactions/..%2F..%2Fhealth HTTP/1.1', []],
  ['an absolute-form target', 'GET http://evil.example/transactions HTTP/1.1', []],
  ['an asterisk target', 'OPTIONS * HTTP/1.1', []],
  ['an unknown method', 'BREW /transactions HTTP/1.1', []],
  ['a method in lower case', 'get /health HTTP/1.1', []],
  ['an unsupported HTTP version', 'GET /health HTTP/9.9', []],
  ['no Host header', 'GET /transactions HTTP/1.1', ['!no-host']],
  ['a header line without a colon', 'GET /transactions HTTP/1.1', ['this is not a header']],
  ['a 64 KB header', 'GET /transactions HTTP/1.1', [`X-Big: ${big}`]],
  ['a 64 KB URL', `GET /transactions/${big} HTTP/1.1`, []],
  ['a Content-Length that is not a number', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Content-Length: abc'], '{}'],
  ['Content-Length and Transfer-Encoding together', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n'],
  ['a broken chunk size', 'PUT /pairing/123 HTTP/1.1', ['Content-Type: application/json', 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n'],
  ['a body shorter than its Content-Length', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 100'], '{}'],
  ['__proto__ in the JSON body', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Idempotency-Key: proto-1'], '{"__proto__":{"admin":true},"constructor":{"prototype":{}}}'],
  ['bytes that are not HTTP', '\u0000\u0001\u0002\u00ff', []],
];


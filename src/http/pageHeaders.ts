import type express from 'express';

/**
 * Headers every HTML page of the service (the explorer, the chain map) is sent with, next to its own
 * Content-Security-Policy: no other site may frame it (clickjacking; `frame-ancestors 'none'` in the policy does the
 * same for browsers that read CSP), the browser may not guess a content type other than the one sent, and the page's
 * address is not passed on to anything it links to.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function setPageSecurityHeaders(response: express.Response, contentSecurityPolicy: string): void {
  response.setHeader('content-security-policy', contentSecurityPolicy);
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) response.setHeader(name, value);
}

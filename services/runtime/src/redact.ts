/**
 * What counts as a secret, in one place: the logger's redaction paths, config display and URL
 * masking all derive from this list, so a new secret field is hidden everywhere at once.
 */

/** Object keys whose values are never logged (matched at any of the first levels of a log object). */
export const SECRET_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'jwt',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'password',
  'passwd',
  'secret',
  'clientSecret',
  'client_secret',
  'apiKey',
  'api_key',
  'apiSecret',
  'privateKey',
  'private_key',
  'credential',
  'credentials',
  'turnPassword',
  'sec-websocket-protocol',
] as const;

/** Query parameters that carry credentials (the edge accepts `?token=` at upgrade). */
export const SECRET_QUERY_PARAMS = ['token', 'access_token', 'jwt', 'password', 'secret', 'api_key', 'apiKey'] as const;

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/**
 * Masks credentials in a URL: userinfo password and secret query parameters. Returns the input
 * unchanged if it is not an absolute URL (relative request paths are handled too).
 */
export function redactUrl(raw: string): string {
  const isAbsolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  let url: URL;
  try {
    url = isAbsolute ? new URL(raw) : new URL(raw, 'http://relative.invalid');
  } catch {
    return raw;
  }
  let changed = false;
  if (url.password !== '') {
    url.password = 'REDACTED';
    changed = true;
  }
  for (const param of SECRET_QUERY_PARAMS) {
    if (url.searchParams.has(param)) {
      url.searchParams.set(param, 'REDACTED');
      changed = true;
    }
  }
  if (!changed) return raw;
  return isAbsolute ? url.toString() : `${url.pathname}${url.search}${url.hash}`;
}

import { describe, expect, it } from 'vitest';
import {
  PortkeyError,
  describePortkeyError,
  networkFailureOf,
  parseErrorBody,
  redactSecrets,
  scrubSecrets,
  lostAnswerStart,
} from '../../src/portkey/errors.js';

describe('parseErrorBody', () => {
  it('reads the Admin API envelope {success:false, data:{message, errorCode}}', () => {
    expect(
      parseErrorBody({
        success: false,
        data: { message: 'You do not have enough permissions to execute this request', errorCode: 'AB03' },
      }),
    ).toEqual({ code: 'AB03', message: 'You do not have enough permissions to execute this request' });
  });

  it('reads {error:{message, code}}', () => {
    expect(parseErrorBody({ error: { message: 'Invalid API key', type: 'auth', code: 'invalid_api_key' } })).toEqual({
      code: 'invalid_api_key',
      message: 'Invalid API key',
    });
  });

  it('reads the flat {errorCode, message}', () => {
    expect(parseErrorBody({ errorCode: 'AB08', message: 'Resource not found' })).toEqual({ code: 'AB08', message: 'Resource not found' });
  });

  it('prefers errorCode to code, and skips empty or non-string codes', () => {
    expect(parseErrorBody({ errorCode: 'AB01', code: 'other' })).toEqual({ code: 'AB01' });
    expect(parseErrorBody({ errorCode: '', code: 'AB02' })).toEqual({ code: 'AB02' });
    expect(parseErrorBody({ errorCode: 409, message: 'exists' })).toEqual({ message: 'exists' });
  });

  it('reads a flat body when data is null', () => {
    expect(parseErrorBody({ success: false, data: null, errorCode: 'AB07', message: 'exists' })).toEqual({
      code: 'AB07',
      message: 'exists',
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Bad Gateway'],
    ['a number', 502],
    ['an empty object', {}],
    ['an array', [1, 2]],
    ['data that is a string', { data: 'oops' }],
    ['error that is a number', { error: 5 }],
    ['a message that is not a string', { message: { nested: true } }],
  ])('gives {} for garbage: %s', (_label, body) => {
    expect(parseErrorBody(body)).toEqual({});
  });

  it('bounds a huge message (to 4000 characters: it is cut to what is shown only after secrets are scrubbed)', () => {
    const parsed = parseErrorBody({ success: false, data: { message: 'm'.repeat(100_000), errorCode: 'AB01' } });
    expect(parsed).toEqual({ code: 'AB01', message: 'm'.repeat(4000) });
  });
});

describe('PortkeyError', () => {
  it('carries what a caller branches on, and a short message', () => {
    const err = new PortkeyError({
      kind: 'api',
      status: 409,
      code: 'AB07',
      portkeyMessage: 'Resource already exists',
      retryAfterSeconds: 3,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('PortkeyError');
    expect(err.message).toBe('Portkey api 409 AB07: Resource already exists');
    expect({
      kind: err.kind,
      status: err.status,
      code: err.code,
      portkeyMessage: err.portkeyMessage,
      retryAfterSeconds: err.retryAfterSeconds,
    }).toEqual({
      kind: 'api',
      status: 409,
      code: 'AB07',
      portkeyMessage: 'Resource already exists',
      retryAfterSeconds: 3,
    });
    expect(new PortkeyError({ kind: 'timeout' }).message).toBe('Portkey timeout');
  });

  it.each<[string, ConstructorParameters<typeof PortkeyError>[0], boolean]>([
    ['timeout', { kind: 'timeout' }, true],
    ['network', { kind: 'network' }, true],
    ['500', { kind: 'api', status: 500 }, true],
    ['502', { kind: 'api', status: 502 }, true],
    ['503', { kind: 'api', status: 503 }, true],
    ['400', { kind: 'api', status: 400, code: 'AB01' }, false],
    ['401', { kind: 'api', status: 401 }, false],
    ['403', { kind: 'api', status: 403 }, false],
    ['409', { kind: 'api', status: 409 }, false],
    ['429', { kind: 'api', status: 429 }, false],
    ['invalid_response', { kind: 'invalid_response', status: 200 }, false],
  ])('outcomeUnknown for %s is %s', (_label, p, unknown) => {
    expect(new PortkeyError(p).outcomeUnknown).toBe(unknown);
  });
});

describe('describePortkeyError', () => {
  const api = (p: Omit<ConstructorParameters<typeof PortkeyError>[0], 'kind'>) => new PortkeyError({ kind: 'api', ...p });

  it('AB01: the request was invalid, with what Portkey said', () => {
    expect(
      describePortkeyError(api({ status: 400, code: 'AB01', portkeyMessage: 'Invalid request. Please check and try again.' }), 'workspace'),
    ).toBe(
      'Portkey rejected the workspace as invalid. Portkey said: "Invalid request. Please check and try again." Fix the form and try again.',
    );
  });

  it('AB03: permission or plan', () => {
    const text = describePortkeyError(api({ status: 403, code: 'AB03' }), 'workspace');
    expect(text).toBe(
      "Portkey refused: the admin key lacks permission for this, or your Portkey plan doesn't allow it. Ask a Portkey org admin to check the key's scopes.",
    );
  });

  it('AB05: points at PORTKEY_API_KEY', () => {
    const text = describePortkeyError(api({ status: 401, code: 'AB05', portkeyMessage: 'Unauthorized' }), 'workspace');
    expect(text).toContain('PORTKEY_API_KEY');
    expect(text).toBe(
      "Portkey rejected the admin key. Check PORTKEY_API_KEY in this app's configuration (it must be an organisation Admin API key).",
    );
  });

  it('AB06: says how many seconds to wait, or a minute when Portkey did not say', () => {
    expect(describePortkeyError(api({ status: 429, code: 'AB06', retryAfterSeconds: 42 }))).toBe(
      'Portkey is rate-limiting requests right now. Try again in 42 seconds.',
    );
    expect(describePortkeyError(api({ status: 429, code: 'AB06' }))).toBe(
      'Portkey is rate-limiting requests right now. Try again in a minute.',
    );
  });

  it('AB07: already exists', () => {
    expect(describePortkeyError(api({ status: 409, code: 'AB07', portkeyMessage: 'Resource already exists' }), 'workspace')).toBe(
      'A workspace like this already exists in Portkey. Portkey said: "Resource already exists" Choose another name or slug.',
    );
  });

  it('AB09: subscription exhausted', () => {
    expect(describePortkeyError(api({ status: 402, code: 'AB09' }), 'workspace')).toBe(
      "Your Portkey subscription is exhausted, so Portkey won't create this workspace. Check the plan in Portkey's billing settings.",
    );
  });

  it.each<[number, string]>([
    [400, 'AB01'],
    [401, 'AB05'],
    [402, 'AB09'],
    [403, 'AB03'],
    [409, 'AB07'],
    [429, 'AB06'],
  ])('a bare %i without a code reads like %s', (status, code) => {
    expect(describePortkeyError(api({ status }), 'workspace')).toBe(describePortkeyError(api({ status, code }), 'workspace'));
  });

  it('a bare 403 without a code talks about permissions', () => {
    expect(describePortkeyError(api({ status: 403 }), 'workspace')).toMatch(/^Portkey refused: the admin key lacks permission/);
  });

  // Each says what is known; a DNS, refused or TLS failure never reached Portkey (test/unit/portkey-deadline.test.ts
  // has them from real sockets).
  it.each<[string, PortkeyError, string]>([
    ['timeout', new PortkeyError({ kind: 'timeout' }), "Portkey didn't answer in time. Nothing was created."],
    [
      'no time left',
      new PortkeyError({ kind: 'timeout', unsent: true }),
      "Portkey couldn't be reached in time. Nothing was sent to Portkey.",
    ],
    [
      'reset',
      new PortkeyError({ kind: 'network', network: 'reset' }),
      'The connection to Portkey broke before it answered. Nothing was created.',
    ],
    ['unclassified', new PortkeyError({ kind: 'network', cause: new Error('x') }), "This app couldn't reach Portkey. Nothing was created."],
    [
      'dns',
      new PortkeyError({ kind: 'network', network: 'dns' }),
      "This app couldn't look up Portkey's address (a DNS failure). Nothing was sent to Portkey.",
    ],
    [
      'refused',
      new PortkeyError({ kind: 'network', network: 'refused' }),
      "Portkey's address refused the connection. Nothing was sent to Portkey.",
    ],
    [
      'tls',
      new PortkeyError({ kind: 'network', network: 'tls' }),
      'The secure (TLS) connection to Portkey failed, for example over a certificate. Nothing was sent to Portkey.',
    ],
  ])('%s: its own sentence', (_label, err, starts) => {
    expect(describePortkeyError(err, 'workspace').startsWith(`${starts} `)).toBe(true);
    // Only a failure that never left this app says so about a later step too.
    expect(describePortkeyError(err, 'workspace access', { nothingCreated: false }).includes('Nothing was sent')).toBe(err.unsent);
  });

  it.each([
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['ECONNREFUSED', 'refused'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['EHOSTUNREACH', 'other'],
  ])('%s is a %s failure', (code, kind) => {
    expect(networkFailureOf(Object.assign(new Error(code), { code }))).toBe(kind);
  });

  it('every address refused (an AggregateError of attempts) is a refused connection', () => {
    const attempts = ['::1', '127.0.0.1'].map((a) => Object.assign(new Error(`connect ECONNREFUSED ${a}`), { code: 'ECONNREFUSED' }));
    expect(networkFailureOf(new AggregateError(attempts))).toBe('refused');
  });

  it('a failure that never left this app is not an unknown outcome; a reset or timeout is', () => {
    expect(new PortkeyError({ kind: 'network', network: 'dns' }).outcomeUnknown).toBe(false);
    expect(new PortkeyError({ kind: 'network', network: 'tls' }).outcomeUnknown).toBe(false);
    expect(new PortkeyError({ kind: 'network', network: 'reset' }).outcomeUnknown).toBe(true);
    expect(new PortkeyError({ kind: 'timeout' }).outcomeUnknown).toBe(true);
  });

  it('invalid_response: Portkey did answer; a create asks to check Portkey, a read just failed', () => {
    const err = new PortkeyError({ kind: 'invalid_response', status: 200 });
    expect(describePortkeyError(err, 'workspace')).toBe(
      "Portkey answered, but with something this app can't read. Check in Portkey whether the workspace exists before trying again.",
    );
    expect(describePortkeyError(err, 'list', { read: true })).toBe(
      "Portkey answered, but with something this app can't read. Try again; if it keeps happening, Portkey's API may have changed — tell whoever runs this app.",
    );
    expect(lostAnswerStart(err)).toBe("Portkey answered, but with something this app can't read");
    expect(lostAnswerStart(new PortkeyError({ kind: 'timeout' }))).toBe("Portkey didn't answer");
  });

  it('422: says what Portkey rejected, not "try again in a minute"', () => {
    const err = api({ status: 422, portkeyMessage: 'configurations.vertex_region: must be a known region' });
    expect(describePortkeyError(err, 'integration')).toBe(
      'Portkey rejected the integration as invalid. Portkey said: "configurations.vertex_region: must be a known region" Fix the form and try again.',
    );
    expect(describePortkeyError(api({ status: 422 }), 'workspace')).toBe(
      'Portkey rejected the workspace as invalid. Fix the form and try again.',
    );
  });

  it('5xx: a problem on Portkey’s side, with the status', () => {
    expect(describePortkeyError(api({ status: 503 }), 'workspace')).toBe(
      'Portkey had a problem (HTTP 503). Nothing was created. Try again in a minute.',
    );
  });

  it('an error that is not from Portkey: our side, without its details', () => {
    const text = describePortkeyError(new TypeError('Cannot read properties of undefined (secret stuff)'), 'workspace');
    expect(text).toBe('Something went wrong on our side while handling your workspace. Nothing was created. Please try again.');
    expect(describePortkeyError('boom')).toBe(
      'Something went wrong on our side while handling your request. Nothing was created. Please try again.',
    );
  });

  // BUG: a non-AB code (as in the `{error:{code}}` shape parseErrorBody reads) hides the status mapping:
  // a 401 {"error":{"code":"invalid_api_key"}} reads "Portkey had a problem (HTTP 401)… Try again in a minute"
  // instead of pointing at PORTKEY_API_KEY. Fix: only use err.code when it is an AB code,
  // e.g. `const code = (err.code && /^AB\d\d$/.test(err.code) ? err.code : undefined) ?? CODE_BY_STATUS[err.status]`.
  it('maps the status when the code is not an Admin API code', () => {
    expect(describePortkeyError(api({ status: 401, code: 'invalid_api_key', portkeyMessage: 'Invalid API key' }))).toContain(
      'PORTKEY_API_KEY',
    );
  });
});

describe('after a create succeeded', () => {
  it('never says "Nothing was created" about a later step', () => {
    for (const err of [
      new PortkeyError({ kind: 'timeout' }),
      new PortkeyError({ kind: 'api', status: 500, code: 'AB04' }),
      new Error('x'),
    ]) {
      expect(describePortkeyError(err, 'workspace access', { nothingCreated: false })).not.toContain('Nothing was created');
    }
  });
});

describe('scrubSecrets', () => {
  // A pasted key can hold a lone surrogate (a JSON payload may carry "\ud800"): its URL-encoded form does not exist.
  it('scrubs a secret that has no URL-encoded form instead of throwing', () => {
    const secret = 'sk-LONE-\ud800-SURROGATE-1234';
    const err = new PortkeyError({ kind: 'api', status: 400, portkeyMessage: `bad key ${secret}` });
    const scrubbed = scrubSecrets(err, [secret]) as PortkeyError;
    expect(scrubbed.portkeyMessage).toBe('bad key [redacted]');
  });

  it('replaces a secret Portkey echoed in its message, and leaves other errors alone', () => {
    const err = new PortkeyError({ kind: 'api', status: 400, code: 'AB01', portkeyMessage: 'bad key sk-CANARY-123 given' });
    const scrubbed = scrubSecrets(err, ['sk-CANARY-123']);
    expect(scrubbed).toBeInstanceOf(PortkeyError);
    expect((scrubbed as PortkeyError).portkeyMessage).toBe('bad key [redacted] given');
    expect((scrubbed as PortkeyError).message).not.toContain('CANARY');
    expect((scrubbed as PortkeyError).code).toBe('AB01');
    const clean = new PortkeyError({ kind: 'api', status: 400, portkeyMessage: 'fine' });
    expect(scrubSecrets(clean, ['sk-CANARY-123'])).toBe(clean);
  });

  // Every run of 8 characters of `secret`, to look for what a cut may have left.
  const runsOf = (secret: string) => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
  const KEY = 'sk-STRADDLE-0123456789abcdef';

  it.each([290, 295, 299, 3995])('scrubs a key that straddles a cut at offset %i, then cuts to 300', (offset) => {
    const body = { success: false, data: { message: `${'x'.repeat(offset)}${KEY} was rejected`, errorCode: 'AB01' } };
    const { code, message } = parseErrorBody(body);
    const raw = new PortkeyError({ kind: 'api', status: 400, ...(code ? { code } : {}), ...(message ? { portkeyMessage: message } : {}) });
    const scrubbed = scrubSecrets(raw, [KEY]) as PortkeyError;
    const shown = [scrubbed.portkeyMessage ?? '', scrubbed.message, describePortkeyError(scrubbed, 'integration')];
    for (const text of shown) for (const run of runsOf(KEY)) expect(text).not.toContain(run);
    expect((scrubbed.portkeyMessage ?? '').length).toBeLessThanOrEqual(300);
    if (offset < 300) expect(scrubbed.portkeyMessage).toBe(`${'x'.repeat(offset)}[redacted]`.slice(0, 300));
  });

  it('redacts any run of 8 or more characters of a secret, anywhere, and leaves shorter coincidences', () => {
    expect(redactSecrets(`a ${KEY.slice(0, 8)} b ${KEY.slice(5, 20)} c ${KEY.slice(-9)} d`, [KEY])).toBe(
      'a [redacted] b [redacted] c [redacted] d',
    );
    expect(redactSecrets(`keep ${KEY.slice(0, 7)} and 0123`, [KEY])).toBe(`keep ${KEY.slice(0, 7)} and 0123`);
    // Short secrets (4 to 7 characters) only whole; under 4 never (they would eat ordinary words).
    expect(redactSecrets('pin 4242, id 42', ['4242', '42'])).toBe('pin [redacted], id 42');
  });
});

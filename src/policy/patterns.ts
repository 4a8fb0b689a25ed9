// The patterns policy rules use for hosts and secret-reference names. Pure.
//
// A host pattern is "*" (any host), or an http(s) URL whose host labels may be "*" (one or more labels) and whose
// path may contain "*" (anything). Without a path it covers every path on that host. A "*" never crosses from the
// host into the path: `https://*.example.com/*` does not cover `https://evil.test/x.example.com/`.

const PATTERN = /^(https?):\/\/([^/?#@]+)(\/[^?#]*)?$/i;
const LABEL = /^(\*|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;

interface HostPattern {
  scheme: string;
  labels: string[];
  port: string;
  /** The pattern named no port (it means the scheme's default). */
  portImplied: boolean;
  /** Undefined: any path. */
  path: RegExp | undefined;
}

function defaultPort(scheme: string): string {
  return scheme === 'https' ? '443' : '80';
}

function trimSlashes(path: string): string {
  return path.replace(/\/+$/, '');
}

function globToRegExp(glob: string, flags = ''): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, flags);
}

function parseHostPattern(pattern: string): HostPattern | string {
  const m = PATTERN.exec(pattern.trim());
  if (!m?.[1] || !m[2]) return 'must be "*" or a URL such as https://*.internal.example.com/* (http or https, no user, query or #fragment)';
  const scheme = m[1].toLowerCase();
  const [host = '', port, extra] = m[2].toLowerCase().split(':');
  if (extra !== undefined || (port !== undefined && !/^\d{1,5}$/.test(port))) return 'has a port that is not a number';
  const labels = host.split('.');
  if (labels.some((l) => !LABEL.test(l))) return 'has a host that is not a domain name (labels of letters, digits and hyphens, or "*")';
  if (labels.every((l) => l === '*')) return 'must name a domain: "*" alone covers every host, write just "*" for that';
  // "api.openai.*" would cover api.openai.com.evil.example; "*.com" every .com host.
  if (labels.includes('*') && (labels.length < 3 || labels.slice(-2).includes('*'))) {
    return (
      'has a "*" in its domain: the last two labels must be written out (e.g. https://*.openai.com/*), or it would cover hosts ' +
      'such as api.openai.com.evil.example'
    );
  }
  const path = m[3] && trimSlashes(m[3]) !== '' ? globToRegExp(trimSlashes(m[3])) : undefined;
  return { scheme, labels, port: port ?? defaultPort(scheme), portImplied: port === undefined, path };
}

/** Why a host pattern is not one (for the startup check), or undefined when it is. */
export function hostPatternProblem(pattern: string): string | undefined {
  if (pattern.trim() === '*') return undefined;
  const parsed = parseHostPattern(pattern);
  return typeof parsed === 'string' ? parsed : undefined;
}

/**
 * Whether `url` (as typed in the form) falls under `pattern`. A URL that doesn't parse is covered only by "*".
 * `anyPath`: the pattern's path is not compared, nor its port when it names none (deny and require_approval rules —
 * the key reaches the host whatever the path or port, and a path has many spellings).
 */
export function hostMatches(pattern: string, url: string, anyPath = false): boolean {
  if (pattern.trim() === '*') return true;
  const p = parseHostPattern(pattern);
  if (typeof p === 'string') return false;
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return false;
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== p.scheme) return false;
  // A restrictive rule without a port is about the host on any port: the key reaches that machine all the same.
  if ((u.port || defaultPort(scheme)) !== p.port && !(anyPath && p.portImplied)) return false;
  const hostRe = new RegExp(
    `^${p.labels.map((l) => (l === '*' ? '[a-z0-9-]+(?:\\.[a-z0-9-]+)*' : l.replace(/[-]/g, '\\-'))).join('\\.')}$`,
  );
  if (!hostRe.test(u.hostname.replace(/\.$/, ''))) return false;
  if (anyPath || p.path === undefined) return true;
  // An encoded slash or backslash is a separator to many servers: "/team-a/..%2fteam-b" reads as /team-b there.
  if (/%2f|%5c/i.test(u.pathname)) return false;
  return p.path.test(trimSlashes(u.pathname));
}

/** A secret-reference entry: its exact id, or a glob on its name as Portkey knows it (case-insensitive). */
export function secretRefMatches(entry: string, ref: { id: string; name: string }): boolean {
  return entry === ref.id || globToRegExp(entry, 'i').test(ref.name);
}

// Credentials never reach a log line: the userinfo of every URL in a text (the token or
// user:password before "@" in https://ghp_...@github.com/...) is replaced by "***".

const USERINFO = /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#\s@'"]+)@/g;

/**
 * `text` (a URL, or a message that quotes URLs, as git's errors do) with the userinfo of
 * every `scheme://userinfo@` replaced by `***`. With `url`, its userinfo is also removed
 * wherever it appears on its own (a token echoed without its URL), unless it is the bare
 * user name of an ssh:// URL. scp-like SSH addresses
 * (`git@host:org/repo.git`) name a user, not a secret, and are left as they are.
 */
export function redactUrl(text: string, url?: string): string {
  let out = text.replace(USERINFO, '$1***@');
  if (url !== undefined) {
    const secret = userinfoOf(url);
    // ssh://git@host/...: a user name, not a secret (and "git" is in every git message).
    const sshUser = url.startsWith('ssh://') && secret !== undefined && !secret.includes(':');
    if (secret && !sshUser) {
      out = out.split(secret).join('***');
      // Percent-decoded as well: git prints "user" for "user%40corp".
      const decoded = safeDecode(secret);
      if (decoded !== secret && decoded.length > 0) out = out.split(decoded).join('***');
    }
  }
  return out;
}

/** The userinfo of a `scheme://userinfo@host/...` URL, or undefined. */
export function userinfoOf(url: string): string | undefined {
  const m = new RegExp(USERINFO.source).exec(url);
  return m?.[2];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

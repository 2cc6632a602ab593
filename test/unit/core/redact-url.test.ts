// Credentials in repository URLs never reach a log line or an error message.
import { redactUrl, userinfoOf } from '../../../core/redact-url.ts';

describe('redactUrl', () => {
  test('removes a token, a user, or user:password from a URL', () => {
    expect(redactUrl('https://ghp_abc123@github.com/acme/capacity.git')).toBe('https://***@github.com/acme/capacity.git');
    expect(redactUrl('https://bot:s3cret@git.example.com/x.git')).toBe('https://***@git.example.com/x.git');
    expect(redactUrl('ssh://git@github.com/acme/capacity.git')).toBe('ssh://***@github.com/acme/capacity.git');
  });

  test('leaves URLs without credentials and scp-like SSH addresses as they are', () => {
    for (const u of ['https://github.com/acme/capacity.git', 'git@github.com:acme/capacity.git', 'file:///srv/git/x.git', 'https://host/a@b']) {
      expect(redactUrl(u)).toBe(u);
    }
  });

  test('redacts every URL quoted in a message, as git quotes them', () => {
    const msg = "fatal: unable to access 'https://ghp_abc123@github.com/acme/capacity.git/': Could not resolve host; also https://u:p@h/x";
    const out = redactUrl(msg);
    expect(out).not.toContain('ghp_abc123');
    expect(out).not.toContain('u:p');
    expect(out).toBe("fatal: unable to access 'https://***@github.com/acme/capacity.git/': Could not resolve host; also https://***@h/x");
  });

  test("given the URL, removes its credentials wherever they appear on their own", () => {
    const url = 'https://ghp_abc123@github.com/acme/capacity.git';
    expect(redactUrl("remote: Invalid token 'ghp_abc123'", url)).toBe("remote: Invalid token '***'");
    expect(redactUrl('user bot@corp denied', 'https://bot%40corp@git.example.com/x.git')).toBe('user *** denied');
    // The user name of an ssh:// URL is not a secret: "git fetch" stays "git fetch".
    expect(redactUrl('git fetch of ssh://git@github.com/acme/x.git failed', 'ssh://git@github.com/acme/x.git')).toBe('git fetch of ssh://***@github.com/acme/x.git failed');
  });

  test('userinfoOf', () => {
    expect(userinfoOf('https://ghp_abc123@github.com/x.git')).toBe('ghp_abc123');
    expect(userinfoOf('https://github.com/x.git')).toBeUndefined();
    expect(userinfoOf('git@github.com:x.git')).toBeUndefined();
  });
});

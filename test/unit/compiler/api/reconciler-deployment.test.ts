// Credentials in the policy repository URL are refused at compile time: they would be
// written to generated/reconciler/configmap.yaml for everyone who reads the repository.
// The finding names the policy file and line, the field, and the fix (the git credentials Secret).
import { ReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../../compiler/api/index.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

const PROPS: ReconcilerDeploymentProps = {
  image: 'ghcr.io/acme/joinery:0.4.1',
  clusterName: 'prod-use1',
  region: 'us-east-1',
  clusterEndpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
  aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' },
  nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
  git: { url: 'https://github.com/acme/capacity.git', credentialsSecret: 'joinery-git' },
};

function gitUrlFindings(url: string) {
  let line = 0;
  const result = compileInMemory({
    'policies/reconciler.ts': (p) => {
      line = nextLine();
      new ReconcilerDeployment(p, 'reconciler', { ...PROPS, git: { ...PROPS.git!, url } });
    },
  });
  const issues = findings(result.diagnostics, 'invalid-value').filter((d) => d.field === 'git.url');
  for (const issue of issues) expect(issue).toMatchObject({ severity: 'error', file: 'test/unit/compiler/api/reconciler-deployment.test.ts', line, object: { kind: 'ReconcilerDeployment' } });
  if (issues.length > 0) expect(result.ok).toBe(false);
  return { issues, result };
}

describe('ReconcilerDeployment git.url', () => {
  test('a token in the URL is refused, without printing the token, and the fix names the Secret', () => {
    const token = 'ghp_0123456789abcdefSECRET';
    const { issues, result } = gitUrlFindings(`https://${token}@github.com/acme/capacity.git`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toBe('"https://***@github.com/acme/capacity.git" carries credentials in the URL (the part before "@"); they would be written to generated/reconciler/configmap.yaml');
    expect(issues[0]!.fix).toMatch(/create the git credentials Secret .*kubectl -n <namespace> create secret generic joinery-git-credentials.*git\.credentialsSecret/);
    expect(JSON.stringify(result.diagnostics)).not.toContain(token);
  });

  test('user:password, a user alone, and credentials in git:// or file:// URLs are refused too', () => {
    for (const url of ['https://bot:s3cret@git.example.com/x.git', 'https://bot@git.example.com/x.git', 'http://tok@10.0.0.1/x.git', 'git://tok@host/x.git', 'file://tok@/srv/x.git', 'ssh://git:pw@github.com/acme/x.git']) {
      expect(gitUrlFindings(url).issues.map((i) => i.field)).toEqual(['git.url']);
    }
  });

  test('URLs without credentials, and SSH addresses naming the SSH user, compile', () => {
    for (const url of ['https://github.com/acme/capacity.git', 'ssh://git@github.com/acme/capacity.git', 'git@github.com:acme/capacity.git', 'file:///srv/git/capacity.git']) {
      expect(gitUrlFindings(url).issues).toEqual([]);
    }
  });

  test('a URL that is not a git URL is refused without echoing credentials', () => {
    const { issues } = gitUrlFindings('https://ghp_SECRET@ github.com/acme');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).not.toContain('ghp_SECRET');
  });
});

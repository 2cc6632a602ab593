// Starts and stops the integration test environment: etcd, kube-apiserver (TLS, with a
// CA made for the run), kube-controller-manager, kube-scheduler, kwok, moto and the
// node-join simulator, each on a free port of 127.0.0.1 and in a process group of its
// own, with one log file per component. Binaries come from test/env/setup.sh's cache.
//
// Either half can come from outside instead: JOINERY_TEST_KUBECONFIG (an existing
// cluster) and JOINERY_TEST_EC2_ENDPOINT (an existing EC2 API). See startTestEnv.
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { ec2ClientFor, iamClientFor, kubeConfigFrom } from './clients.ts';
import { installKarpenterCrds } from './crds.ts';
import { ensureNetwork, seedEksAmis, type SeededEksAmi } from './ec2-seed.ts';
import { ensureNodeRoles } from './iam-seed.ts';
import { generatePki, writeKubeconfig, type Pki } from './pki.ts';
import { freeLoopbackPorts } from './ports.ts';
import { isRunning, sleep, startProcess, stopProcess, tailOf, type SpawnSpec } from './processes.ts';
import { readState, writeState, type StartedProcess, type TestEnvState } from './state.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export interface StartOptions {
  /** Directory for PKI, etcd data, logs and the state file; default a new one under the OS temp dir. */
  workDir?: string;
  /** Default JOINERY_TEST_CLUSTER_NAME or `joinery-test`. */
  clusterName?: string;
  /** Default JOINERY_TEST_REGION or us-east-1 (the shipped catalog's region). */
  region?: string;
  /** Node-join simulator's boot delay; default JOINERY_TEST_BOOT_DELAY_MS or 1000. */
  bootDelayMs?: number;
  /** Use this cluster instead of starting one; default JOINERY_TEST_KUBECONFIG. */
  externalKubeconfig?: string;
  /** Use this EC2 API instead of starting moto; default JOINERY_TEST_EC2_ENDPOINT. */
  externalEc2Endpoint?: string;
  /** Run the node-join simulator; default true unless JOINERY_TEST_NODE_JOIN=off (real kubelets join instead). */
  nodeJoinSimulator?: boolean;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
  /** Per-component readiness timeout. */
  readyTimeoutMs?: number;
}

export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const SERVICE_CIDR = '10.96.0.0/16';

/** Runs setup.sh (builds on first use, instant afterwards) and returns its cache directory's bin/. */
export function ensureBinaries(log: (line: string) => void): string {
  const started = Date.now();
  let out: string;
  try {
    out = execFileSync('bash', [join(REPO_ROOT, 'test/env/setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    throw new Error(`test/env/setup.sh failed (exit ${String((err as { status?: number }).status)}); its output above says why`);
  }
  const match = /^testenv: ready (.+)$/m.exec(out);
  if (!match?.[1]) throw new Error(`test/env/setup.sh did not print "testenv: ready <dir>"; it printed:\n${out}`);
  log(`binaries ready in ${Date.now() - started} ms: ${match[1]}/bin`);
  return join(match[1], 'bin');
}

interface TlsClient { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean }

/** GET `url` and resolve with the status code and body; never rejects (status 0 on error). */
function get(url: string, tls?: TlsClient): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise) => {
    const u = new URL(url);
    const options = {
      method: 'GET', hostname: u.hostname, port: u.port, path: u.pathname + u.search, timeout: 2_000,
      ...(u.protocol === 'https:' ? { ca: tls?.ca, cert: tls?.cert, key: tls?.key, rejectUnauthorized: !tls?.insecure } : {}),
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolvePromise({ status: 0, body: e.message }));
    req.end();
  });
}

class Launcher {
  readonly started: StartedProcess[] = [];
  constructor(private readonly logDir: string, private readonly log: (line: string) => void, private readonly readyTimeoutMs: number) {}

  /** Starts a component and waits until `ready` says so; fails fast if the process exits. */
  async run(spec: Omit<SpawnSpec, 'logFile'>, ready: () => Promise<boolean>): Promise<StartedProcess> {
    const t0 = Date.now();
    const p = startProcess({ ...spec, logFile: join(this.logDir, `${spec.name}.log`) });
    this.started.push(p);
    const deadline = t0 + this.readyTimeoutMs;
    for (;;) {
      if (!isRunning(p)) throw new ComponentError(p, `${spec.name} exited before it was ready`);
      if (await ready()) break;
      if (Date.now() > deadline) throw new ComponentError(p, `${spec.name} not ready after ${this.readyTimeoutMs} ms`);
      await sleep(100);
    }
    this.log(`${spec.name} ready in ${Date.now() - t0} ms (pid ${p.pid})`);
    return p;
  }
}

class ComponentError extends Error {
  constructor(readonly process: StartedProcess, message: string) {
    super(`${message}; last lines of ${process.logFile}:\n${tailOf(process.logFile)}`);
  }
}

/**
 * Starts the environment and writes its state file (`<workDir>/state.json`). On failure
 * stops everything it started, keeps the work dir (logs) and throws an error naming it.
 */
export async function startTestEnv(options: StartOptions = {}): Promise<{ state: TestEnvState; statePath: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`testenv: ${line}\n`));
  const t0 = Date.now();
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'joinery-testenv-'));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const clusterName = options.clusterName ?? process.env.JOINERY_TEST_CLUSTER_NAME ?? 'joinery-test';
  const region = options.region ?? process.env.JOINERY_TEST_REGION ?? 'us-east-1';
  const bootDelayMs = options.bootDelayMs ?? Number(process.env.JOINERY_TEST_BOOT_DELAY_MS ?? 1000);
  const externalKubeconfig = options.externalKubeconfig ?? (process.env.JOINERY_TEST_KUBECONFIG || undefined);
  const externalEc2 = options.externalEc2Endpoint ?? (process.env.JOINERY_TEST_EC2_ENDPOINT || undefined);
  const nodeJoinSimulator = options.nodeJoinSimulator ?? process.env.JOINERY_TEST_NODE_JOIN !== 'off';
  const launcher = new Launcher(logDir, log, options.readyTimeoutMs ?? 90_000);
  const statePath = join(workDir, 'state.json');
  let ec2Settled: Promise<void> = Promise.resolve();
  log(`work dir ${workDir} (logs in ${logDir})`);

  try {
    const needsBinaries = !externalKubeconfig || !externalEc2;
    const binDir = needsBinaries ? ensureBinaries(log) : null;
    const bin = (name: string) => join(binDir ?? '', name);
    const [etcdClient, etcdPeer, apiserver, kcm, scheduler, kwok, moto, faultProxy] = await freeLoopbackPorts(8);

    // ---- EC2: moto (started first: it takes a few seconds to import) or the external
    // endpoint, and in front of it the proxy that injects capacity errors on request ------
    const ec2UpstreamEndpoint = externalEc2 ?? `http://127.0.0.1:${moto}`;
    const ec2Endpoint = `http://127.0.0.1:${faultProxy}`;
    const ec2Ready = (async () => {
      if (!externalEc2) {
        await launcher.run({
          name: 'moto',
          // moto_server with one control path that publishes AWS public SSM parameters (moto-server.py).
          command: join(realpathSync(bin('moto_server')), '..', 'python'),
          args: [join(REPO_ROOT, 'test/env/moto-server.py'), '-H', '127.0.0.1', '-p', String(moto)],
          env: { ...process.env, PYTHONUNBUFFERED: '1' },
        }, async () => (await get(`${ec2UpstreamEndpoint}/moto-api/`)).status === 200);
      } else {
        log(`using the EC2 endpoint ${externalEc2}`);
      }
      await launcher.run({
        name: 'ec2-fault-proxy',
        command: process.execPath,
        args: [join(REPO_ROOT, 'bin/tsx-run.js'), join(REPO_ROOT, 'test/env/ec2-fault-proxy.ts'),
          '--port', String(faultProxy), '--upstream', ec2UpstreamEndpoint, '--region', region],
        cwd: REPO_ROOT,
      }, async () => (await get(`${ec2Endpoint}/__testenv/health`)).status === 200);
    })();
    // Settled either way, so a failure elsewhere waits for these processes before stopping all.
    ec2Settled = ec2Ready.then(() => undefined, () => undefined);

    // ---- Kubernetes ----------------------------------------------------------------------
    let kubeconfigPath: string;
    let apiServerUrl: string;
    if (externalKubeconfig) {
      kubeconfigPath = resolve(externalKubeconfig);
      apiServerUrl = kubeConfigFrom(kubeconfigPath).getCurrentCluster()?.server ?? '';
      log(`using the existing cluster of ${kubeconfigPath} (${apiServerUrl})`);
    } else {
      const pki = generatePki(join(workDir, 'pki'));
      apiServerUrl = `https://127.0.0.1:${apiserver}`;
      kubeconfigPath = join(workDir, 'kubeconfig');
      writeKubeconfig(kubeconfigPath, pki, apiServerUrl);
      await startControlPlane(launcher, { bin, workDir, pki, kubeconfigPath, ports: { etcdClient, etcdPeer, apiserver, kcm, scheduler, kwok } });
    }
    const kc = kubeConfigFrom(kubeconfigPath);
    const crds = await installKarpenterCrds(kc, { keepExisting: Boolean(externalKubeconfig) });
    log(`CRDs established: ${crds.join(', ')}`);
    await waitForDefaultServiceAccount(kc, options.readyTimeoutMs ?? 90_000);

    await ec2Ready;
    const network = await ensureNetwork(ec2ClientFor(ec2UpstreamEndpoint, region), clusterName, ZONES);
    await ensureNodeRoles(iamClientFor(ec2UpstreamEndpoint, region));
    log(`EC2 network: ${network.vpcId}, subnets ${network.subnets.map((s) => `${s.subnetId} (${s.zone})`).join(', ')}, ${network.securityGroupId}`);
    // The EKS-optimized AMIs and their public SSM parameters, for the cluster's Kubernetes minor.
    const version = await kc.makeApiClient(VersionApi).getCode();
    const kubernetesVersion = `${version.major.replace(/\D/g, '')}.${version.minor.replace(/\D/g, '')}`;
    let eksImages: SeededEksAmi[] = [];
    if (externalEc2) log(`external EC2 endpoint: the EKS AMIs' public SSM parameters are not seeded (AWS publishes them)`);
    else {
      eksImages = await seedEksAmis(ec2ClientFor(ec2UpstreamEndpoint, region), ec2UpstreamEndpoint, region, kubernetesVersion);
      log(`EKS AMIs for Kubernetes ${kubernetesVersion}: ${eksImages.length} images, ${eksImages.reduce((n, i) => n + i.parameters.length, 0)} public SSM parameters`);
    }

    if (nodeJoinSimulator) {
      const readyFile = join(workDir, 'node-join.ready');
      await launcher.run({
        name: 'node-join-simulator',
        command: process.execPath,
        args: [join(REPO_ROOT, 'bin/tsx-run.js'), join(REPO_ROOT, 'test/env/node-join-simulator.ts'),
          '--kubeconfig', kubeconfigPath, '--ec2-endpoint', ec2UpstreamEndpoint, '--region', region, '--cluster-name', clusterName,
          '--boot-delay-ms', String(bootDelayMs), '--ready-file', readyFile],
        cwd: REPO_ROOT,
      }, async () => existsSync(readyFile));
    }

    const state: TestEnvState = {
      version: 1, workDir, logDir, kubeconfigPath, apiServerUrl, ec2Endpoint, ec2UpstreamEndpoint, region, clusterName, network, eksAmis: { kubernetesVersion, images: eksImages }, nodeJoinSimulator,
      external: { kubernetes: Boolean(externalKubeconfig), ec2: Boolean(externalEc2) },
      binDir, processes: launcher.started, ownerPid: process.pid,
    };
    writeState(statePath, state);
    log(`environment ready in ${Date.now() - t0} ms; kubeconfig ${kubeconfigPath}, EC2 ${ec2Endpoint}`);
    return { state, statePath };
  } catch (err) {
    await ec2Settled;
    log(`start failed: stopping ${launcher.started.length} started process(es); logs kept in ${logDir}`);
    await Promise.all(launcher.started.map((p) => stopProcess(p)));
    if (!(err instanceof Error)) throw err;
    throw new Error(`test environment failed to start (logs: ${logDir}): ${err.message}`, { cause: err });
  }
}

interface ControlPlaneInputs {
  bin: (name: string) => string;
  workDir: string;
  pki: Pki;
  kubeconfigPath: string;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number; kcm: number; scheduler: number; kwok: number };
}

async function startControlPlane(launcher: Launcher, c: ControlPlaneInputs): Promise<void> {
  const { bin, workDir, pki, kubeconfigPath, ports } = c;
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  await launcher.run({
    name: 'etcd',
    command: bin('etcd'),
    args: [
      '--name=testenv', `--data-dir=${join(workDir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testenv=${peerUrl}`,
      '--unsafe-no-fsync', // test data: durability buys nothing, fsync costs seconds on a busy disk
      '--log-level=warn',
    ],
  }, async () => {
    const r = await get(`${etcdUrl}/health`);
    return r.status === 200 && r.body.includes('"health":"true"');
  });

  const tls: TlsClient = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };
  const apiServerUrl = `https://127.0.0.1:${ports.apiserver}`;
  await launcher.run({
    name: 'kube-apiserver',
    command: bin('kube-apiserver'),
    args: [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${ports.apiserver}`,
      `--cert-dir=${join(workDir, 'pki')}`,
      `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      // The `kubernetes` Service's endpoints would point at 127.0.0.1, which Endpoints
      // validation rejects; nothing in the tests reaches the apiserver through it.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ],
  }, async () => (await get(`${apiServerUrl}/readyz`, tls)).status === 200);

  const common = [
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    '--profiling=false',
  ];
  await Promise.all([
    launcher.run({
      name: 'kube-controller-manager',
      command: bin('kube-controller-manager'),
      args: [
        ...common, `--secure-port=${ports.kcm}`, `--cert-dir=${join(workDir, 'kube-controller-manager')}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--use-service-account-credentials=false',
      ],
    }, async () => (await get(`https://127.0.0.1:${ports.kcm}/healthz`, { insecure: true })).status === 200),
    launcher.run({
      name: 'kube-scheduler',
      command: bin('kube-scheduler'),
      args: [...common, `--secure-port=${ports.scheduler}`, `--cert-dir=${join(workDir, 'kube-scheduler')}`],
    }, async () => (await get(`https://127.0.0.1:${ports.scheduler}/healthz`, { insecure: true })).status === 200),
    launcher.run({
      name: 'kwok',
      command: bin('kwok'),
      args: [
        `--kubeconfig=${kubeconfigPath}`,
        // Only the Nodes the node-join simulator registers: a Node without the annotation
        // (a real kubelet's, or one a test creates by hand) is left alone.
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--server-address=127.0.0.1:${ports.kwok}`,
        '--node-ip=127.0.0.1',
        '--cidr=10.244.0.1/16',
      ],
    }, async () => (await get(`http://127.0.0.1:${ports.kwok}/healthz`)).status === 200),
  ]);
}

async function waitForDefaultServiceAccount(kc: ReturnType<typeof kubeConfigFrom>, timeoutMs: number): Promise<void> {
  // The ServiceAccount admission plugin rejects pods until the controller-manager has
  // created `default`; tests create pods right away.
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`ServiceAccount default/default not created after ${timeoutMs} ms: ${(err as Error).message}`);
      await sleep(200);
    }
  }
}

/**
 * Restarts the kube-apiserver of a running environment (test/env's own, not an external
 * cluster's): stops its process group by PID (SIGTERM, as a rolling control-plane upgrade
 * does; SIGKILL after 10 s), waits `downMs` more, starts the same command line again (same
 * port, flags and certificates, logging to the same file), waits for /readyz and records the
 * new process in the state file, so teardown stops the new one. Resolves with how long the
 * API was unreachable, measured from the stop to ready.
 */
export async function restartApiServer(statePath: string, options: { downMs?: number; readyTimeoutMs?: number } = {}): Promise<{ unavailableMs: number; pid: number }> {
  const state = readState(statePath);
  const index = state.processes.findIndex((p) => p.name === 'kube-apiserver');
  const old = state.processes[index];
  if (!old) throw new Error(`the environment of ${statePath} runs no kube-apiserver of its own (an external cluster?): it cannot restart it`);
  const [command, ...args] = old.command;
  if (!command) throw new Error(`${statePath}: kube-apiserver has no recorded command line`);
  const port = /^--secure-port=(\d+)$/.exec(args.find((a) => a.startsWith('--secure-port=')) ?? '')?.[1];
  if (!port) throw new Error(`${statePath}: kube-apiserver's recorded command line has no --secure-port`);
  const pkiDir = join(state.workDir, 'pki');
  const tls: TlsClient = { ca: readFileSync(join(pkiDir, 'ca.crt')), cert: readFileSync(join(pkiDir, 'admin.crt')), key: readFileSync(join(pkiDir, 'admin.key')) };
  const t0 = Date.now();
  await stopProcess(old);
  if (isRunning(old)) throw new Error(`kube-apiserver (pid ${old.pid}) did not stop`);
  if (options.downMs) await sleep(options.downMs);
  const started = startProcess({ name: old.name, command, args, logFile: old.logFile });
  const processes = [...state.processes];
  processes[index] = started;
  writeState(statePath, { ...state, processes });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (!isRunning(started)) throw new ComponentError(started, 'kube-apiserver exited while restarting');
    if ((await get(`https://127.0.0.1:${port}/readyz`, tls)).status === 200) break;
    if (Date.now() > deadline) throw new ComponentError(started, `kube-apiserver not ready ${options.readyTimeoutMs ?? 90_000} ms after its restart`);
    await sleep(100);
  }
  return { unavailableMs: Date.now() - t0, pid: started.pid };
}

/**
 * The processes to stop: those `state` names, plus any the state file now names instead
 * (a component restarted by restartApiServer during the run).
 */
function currentProcesses(state: TestEnvState): StartedProcess[] {
  const file = join(state.workDir, 'state.json');
  let recorded: StartedProcess[] = [];
  try {
    if (existsSync(file)) recorded = readState(file).processes;
  } catch {
    recorded = [];
  }
  const same = (a: StartedProcess, b: StartedProcess) => a.pid === b.pid && a.startTicks === b.startTicks;
  return [...state.processes, ...recorded.filter((p) => !state.processes.some((q) => same(p, q)))]
    // Start order, so newest-first stopping stops clients before the apiserver before etcd.
    .sort((a, b) => order(state, a) - order(state, b));
}

function order(state: TestEnvState, p: StartedProcess): number {
  const i = state.processes.findIndex((q) => q.name === p.name);
  return i < 0 ? state.processes.length : i;
}

/** Stops every process the environment started (newest first) and removes the work dir unless asked to keep it. */
export async function stopTestEnv(state: TestEnvState, options: { keepWorkDir?: boolean; log?: (line: string) => void } = {}): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`testenv: ${line}\n`));
  const t0 = Date.now();
  state = { ...state, processes: currentProcesses(state) };
  // Clients first (simulator, kwok, scheduler, controller-manager), then the apiserver, then etcd.
  for (const p of [...state.processes].reverse()) await stopProcess(p);
  const left = state.processes.filter(isRunning);
  if (left.length > 0) throw new Error(`processes still running after stop: ${left.map((p) => `${p.name} (${p.pid})`).join(', ')}`);
  if (!options.keepWorkDir) rmSync(state.workDir, { recursive: true, force: true });
  log(`stopped ${state.processes.length} process(es) in ${Date.now() - t0} ms${options.keepWorkDir ? `; logs kept in ${state.logDir}` : ''}`);
}

/**
 * Stops environments that a jest run started under the OS temp dir and never stopped
 * because that run was killed (its owner PID is gone). Each process is checked against
 * its recorded start time before it is signalled. `testenv:up` environments live in the
 * repository's .joinery/ and are never touched here.
 */
export async function reapAbandonedEnvironments(log: (line: string) => void = (l) => process.stderr.write(`testenv: ${l}\n`)): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith('joinery-testenv-')) continue;
    const statePath = join(tmpdir(), entry, 'state.json');
    if (!existsSync(statePath)) continue;
    let state: TestEnvState;
    try {
      state = readState(statePath);
    } catch {
      continue;
    }
    if (existsSync(`/proc/${state.ownerPid}`)) continue; // its run is still going
    const running = state.processes.filter(isRunning);
    if (running.length > 0) log(`stopping ${running.map((p) => `${p.name} (${p.pid})`).join(', ')} left by an interrupted run in ${state.workDir}`);
    await stopTestEnv(state, { log: () => undefined });
  }
}

/** Lists component logs (name and size), for failure messages. */
export function describeLogs(logDir: string): string {
  if (!existsSync(logDir)) return `${logDir} (missing)`;
  return readdirSync(logDir).map((f) => `  ${join(logDir, f)}`).join('\n');
}

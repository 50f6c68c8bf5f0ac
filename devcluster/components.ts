import { join } from 'node:path';
import { clusterConfig as c } from './config.js';
import { statePaths as p } from './paths.js';
import { probe } from './probe.js';

/** One process of the control plane: how to start it and how to tell it is ready. */
export interface Component {
  name: string;
  binary: string;
  args: string[];
  ready: () => Promise<boolean>;
  /** How long a cold start may take before it counts as failed. */
  startTimeoutMs: number;
}

const pki = (file: string) => join(p.pki, file);
const kubeconfig = (name: string) => join(p.kubeconfigs, `${name}.yaml`);
const local = (port: number) => `127.0.0.1:${port}`;
const ok = async (url: string, tls: Parameters<typeof probe>[1] = {}) => {
  const r = await probe(url, tls);
  return r.status === 200 && r.body.trim() === 'ok';
};

export const etcd: Component = {
  name: 'etcd',
  binary: 'etcd',
  args: [
    '--name=trellis',
    `--data-dir=${p.etcdData}`,
    `--listen-client-urls=http://${local(c.ports.etcdClient)}`,
    `--advertise-client-urls=http://${local(c.ports.etcdClient)}`,
    `--listen-peer-urls=http://${local(c.ports.etcdPeer)}`,
    `--initial-advertise-peer-urls=http://${local(c.ports.etcdPeer)}`,
    `--initial-cluster=trellis=http://${local(c.ports.etcdPeer)}`,
    // A throwaway cluster on one machine: durability across power loss buys nothing, fsync costs seconds.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ],
  ready: async () =>
    (await probe(`http://${local(c.ports.etcdClient)}/health`)).body.includes('"health":"true"'),
  startTimeoutMs: 30_000,
};

export const apiserver: Component = {
  name: 'kube-apiserver',
  binary: 'kube-apiserver',
  args: [
    `--etcd-servers=http://${local(c.ports.etcdClient)}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${c.ports.apiserver}`,
    '--advertise-address=127.0.0.1',
    // No kube-proxy routes ClusterIPs here, so the `kubernetes` Service keeps no loopback endpoints.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki('apiserver.crt')}`,
    `--tls-private-key-file=${pki('apiserver.key')}`,
    `--client-ca-file=${pki('ca.crt')}`,
    `--service-account-key-file=${pki('sa.pub')}`,
    `--service-account-signing-key-file=${pki('sa.key')}`,
    `--service-account-issuer=${c.serviceAccountIssuer}`,
    `--api-audiences=${c.serviceAccountIssuer}`,
    `--service-cluster-ip-range=${c.serviceCidr}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    // Webhooks and aggregated APIs are called at their endpoints' addresses: nothing routes ClusterIPs.
    '--enable-aggregator-routing=true',
    `--requestheader-client-ca-file=${pki('front-proxy-ca.crt')}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--proxy-client-cert-file=${pki('front-proxy-client.crt')}`,
    `--proxy-client-key-file=${pki('front-proxy-client.key')}`,
  ],
  ready: () => ok(`https://${local(c.ports.apiserver)}/readyz`, { pkiDir: p.pki }),
  startTimeoutMs: 90_000,
};

const kubeComponentArgs = (name: string, port: number) => [
  `--kubeconfig=${kubeconfig(name)}`,
  `--authentication-kubeconfig=${kubeconfig(name)}`,
  `--authorization-kubeconfig=${kubeconfig(name)}`,
  '--bind-address=127.0.0.1',
  `--secure-port=${port}`,
  `--cert-dir=${join(p.pki, `${name}-serving`)}`,
  // One instance: no standby to hand over to, and a restart need not wait out an old lease.
  '--leader-elect=false',
];

export const controllerManager: Component = {
  name: 'kube-controller-manager',
  binary: 'kube-controller-manager',
  args: [
    ...kubeComponentArgs('controller-manager', c.ports.controllerManager),
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki('sa.key')}`,
    `--root-ca-file=${pki('ca.crt')}`,
    `--cluster-signing-cert-file=${pki('ca.crt')}`,
    `--cluster-signing-key-file=${pki('ca.key')}`,
    `--service-cluster-ip-range=${c.serviceCidr}`,
    '--allocate-node-cidrs=false',
  ],
  ready: () => ok(`https://${local(c.ports.controllerManager)}/healthz`, { insecure: true }),
  startTimeoutMs: 60_000,
};

export const scheduler: Component = {
  name: 'kube-scheduler',
  binary: 'kube-scheduler',
  args: kubeComponentArgs('scheduler', c.ports.scheduler),
  ready: () => ok(`https://${local(c.ports.scheduler)}/healthz`, { insecure: true }),
  startTimeoutMs: 60_000,
};

export const certManagerController: Component = {
  name: 'cert-manager-controller',
  binary: 'cert-manager-controller',
  args: [
    `--kubeconfig=${kubeconfig('cert-manager')}`,
    `--healthz-addr=${local(c.ports.certManagerHealth)}`,
    '--cluster-resource-namespace=cert-manager',
    '--v=2',
  ],
  ready: () => ok(`http://${local(c.ports.certManagerHealth)}/healthz`),
  startTimeoutMs: 60_000,
};

export const certManagerCainjector: Component = {
  name: 'cert-manager-cainjector',
  binary: 'cert-manager-cainjector',
  args: [
    `--kubeconfig=${kubeconfig('cert-manager')}`,
    `--healthz-addr=${local(c.ports.cainjectorHealth)}`,
    '--v=2',
  ],
  ready: () => ok(`http://${local(c.ports.cainjectorHealth)}/readyz`),
  startTimeoutMs: 60_000,
};

/** The components that start once the API server is up and bootstrapped, all at once. */
export const controllers = [controllerManager, scheduler, certManagerController, certManagerCainjector];

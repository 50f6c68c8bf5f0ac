/**
 * The local control plane's fixed network plan. Everything listens on
 * loopback; the 198.18.0.0/15 benchmarking range (RFC 2544) is split between
 * pod addresses, which the node agent assigns inside network namespaces of
 * its own, and service ClusterIPs, which exist only as iptables targets.
 */
/** Shifts every port, so a second checkout's cluster can run beside the first. */
const offset = Number(process.env.TRELLIS_CLUSTER_PORT_OFFSET ?? 0);

export const clusterConfig = {
  name: 'trellis-dev',
  serviceCidr: '198.19.0.0/16',
  kubernetesServiceIp: '198.19.0.1',
  podCidr: '198.18.0.0/16',
  /** The host end of the pod bridge: the API server's address as pods see it. */
  podGateway: '198.18.0.1',
  serviceAccountIssuer: 'https://kubernetes.default.svc.cluster.local',
  ports: {
    etcdClient: 12379 + offset,
    etcdPeer: 12380 + offset,
    apiserver: 16443 + offset,
    controllerManager: 10257 + offset,
    scheduler: 10259 + offset,
    certManagerHealth: 19402 + offset,
    cainjectorHealth: 19403 + offset,
  },
} as const;

export const apiserverUrl = `https://127.0.0.1:${clusterConfig.ports.apiserver}`;

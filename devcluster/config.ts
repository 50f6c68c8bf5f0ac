/**
 * The local control plane's fixed network plan. Everything listens on
 * loopback; the 198.18.0.0/15 benchmarking range (RFC 2544) is split between
 * pod addresses, which the node agent assigns inside network namespaces of
 * its own, and service ClusterIPs, which exist only as iptables targets.
 */
export const clusterConfig = {
  name: 'trellis-dev',
  serviceCidr: '198.19.0.0/16',
  kubernetesServiceIp: '198.19.0.1',
  podCidr: '198.18.0.0/16',
  /** The host end of the pod bridge: the API server's address as pods see it. */
  podGateway: '198.18.0.1',
  serviceAccountIssuer: 'https://kubernetes.default.svc.cluster.local',
  ports: {
    etcdClient: 12379,
    etcdPeer: 12380,
    apiserver: 16443,
    controllerManager: 10257,
    scheduler: 10259,
    certManagerHealth: 19402,
    cainjectorHealth: 19403,
  },
} as const;

export const apiserverUrl = `https://127.0.0.1:${clusterConfig.ports.apiserver}`;

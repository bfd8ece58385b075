/** NetworkPolicies of the data namespaces: deny all ingress, then allow each known client on its port. */
import * as pulumi from "@pulumi/pulumi";

/**
 * Every CloudNativePG instance pod carries this label, whatever its cluster's name (operator 1.30:
 * pkg/utils/labels_annotations.go, PodRoleLabelName); selecting by it keeps a cluster restored under another
 * name reachable.
 */
export const CNPG_INSTANCE_LABELS = { "cnpg.io/podRole": "instance" };

export const inNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

/** Private address ranges: public endpoints (S3, STS, the internet) lie outside them. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"];

/** Egress to cluster DNS (CoreDNS, labelled k8s-app=kube-dns on EKS and kind). */
export function dnsEgress() {
  return { to: [{ ...inNamespace("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] };
}

/** Egress to the API server, at the addresses and ports pods reach it on (the target's). */
export function apiServerEgress(apiServer: { cidrs: pulumi.Input<string>[]; ports: number[] }) {
  return { to: apiServer.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: apiServer.ports.map((port) => ({ protocol: "TCP", port })) };
}

type Blocks = pulumi.Input<{ cidr: string; except?: string[] }[]>;
const ipBlocks = (blocks: { cidr: string; except?: string[] }[]) => blocks.map((block) => ({ ipBlock: block }));

/** HTTPS to address blocks (known once the cloud answers, for S3's prefix list: then the rule's peers are an Output). */
export function httpsEgress(blocks: Blocks, port = 443) {
  return { to: Array.isArray(blocks) ? ipBlocks(blocks) : pulumi.output(blocks).apply(ipBlocks), ports: [{ protocol: "TCP", port }] };
}

/** Egress to the object store: its pods when it runs in the cluster, else its addresses (on 443 unless `port`). */
export function objectStoreEgress(outside: Blocks, inCluster?: { namespace: string; podLabels: Record<string, string>; port: number }, port = 443) {
  if (inCluster) return { to: [{ ...inNamespace(inCluster.namespace), podSelector: { matchLabels: inCluster.podLabels } }], ports: [{ protocol: "TCP", port: inCluster.port }] };
  return httpsEgress(outside, port);
}

export function defaultDenyIngress(namespace: string) {
  return { metadata: { name: "default-deny-ingress", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress"] } };
}

export interface IngressAllowance {
  name: string;
  /** Pods receiving the traffic (empty: every pod of the namespace). */
  podLabels: Record<string, string>;
  /** Namespaces the traffic may come from (all their pods). */
  fromNamespaces: string[];
  /** Pods of the namespace itself the traffic may come from, by labels. */
  fromPodsHere?: Record<string, string>[];
  /** Address blocks the traffic may come from (what no pod selector names: the API server calling a webhook). */
  fromCidrs?: pulumi.Input<string>[];
  /** The ports (every port when absent). */
  ports?: number[];
}

export function allowIngress(namespace: string, allowance: IngressAllowance) {
  const from = [
    ...allowance.fromNamespaces.map(inNamespace),
    ...(allowance.fromPodsHere ?? []).map((labels) => ({ podSelector: { matchLabels: labels } })),
    ...(allowance.fromCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })),
  ];
  return {
    metadata: { name: allowance.name, namespace },
    spec: {
      podSelector: { matchLabels: allowance.podLabels },
      policyTypes: ["Ingress"],
      ingress: [{ from, ...(allowance.ports ? { ports: allowance.ports.map((port) => ({ protocol: "TCP", port })) } : {}) }],
    },
  };
}

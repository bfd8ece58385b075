/** NetworkPolicies of the data namespaces: deny all ingress, then allow each known client on its port. */

/**
 * Every CloudNativePG instance pod carries this label, whatever its cluster's name (operator 1.30:
 * pkg/utils/labels_annotations.go, PodRoleLabelName); selecting by it keeps a cluster restored under another
 * name reachable.
 */
export const CNPG_INSTANCE_LABELS = { "cnpg.io/podRole": "instance" };

const inNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

export function defaultDenyIngress(namespace: string) {
  return { metadata: { name: "default-deny-ingress", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress"] } };
}

export interface IngressAllowance {
  name: string;
  /** Pods receiving the traffic (empty: every pod of the namespace). */
  podLabels: Record<string, string>;
  /** Namespaces the traffic may come from; the namespace itself with `sameNamespace`. */
  fromNamespaces: string[];
  sameNamespace?: boolean;
  ports: number[];
}

export function allowIngress(namespace: string, allowance: IngressAllowance) {
  const from = [
    ...allowance.fromNamespaces.map(inNamespace),
    ...(allowance.sameNamespace ? [{ podSelector: { matchLabels: allowance.podLabels } }] : []),
  ];
  return {
    metadata: { name: allowance.name, namespace },
    spec: {
      podSelector: { matchLabels: allowance.podLabels },
      policyTypes: ["Ingress"],
      ingress: [{ from, ports: allowance.ports.map((port) => ({ protocol: "TCP", port })) }],
    },
  };
}

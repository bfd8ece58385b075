/**
 * How an enforcing CNI decides a connection under Kubernetes NetworkPolicies
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/): a pod selected by no policy of a
 * direction allows everything in that direction; a pod selected by any policy allows only what one of them
 * lists; a connection needs the source's egress and the destination's ingress.
 */

type Obj = Record<string, any>;

export interface Endpoint {
  namespace: string;
  labels: Record<string, string>;
  /** An address outside the pod network (the API server's ENIs, S3): matched only by ipBlock rules. */
  ip?: string;
}

export interface Flow {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol?: "TCP" | "UDP";
}

function selectorMatches(selector: Obj | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const has = key(expression) in labels;
    const value = labels[key(expression)];
    if (expression.operator === "In" && !(has && expression.values.includes(value))) return false;
    if (expression.operator === "NotIn" && has && expression.values.includes(value)) return false;
    if (expression.operator === "Exists" && !has) return false;
    if (expression.operator === "DoesNotExist" && has) return false;
  }
  return true;
}
const key = (expression: Obj) => expression.key as string;

function ipToNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToNumber(base) / size) * size;
  const value = ipToNumber(ip);
  return value >= start && value < start + size;
}

function peerMatches(peer: Obj, other: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    if (!other.ip) return false;
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr: string) => inCidr(other.ip!, cidr));
  }
  if (other.ip) return false;
  const namespaceLabels = { "kubernetes.io/metadata.name": other.namespace };
  if (peer.namespaceSelector) {
    return selectorMatches(peer.namespaceSelector, namespaceLabels) && selectorMatches(peer.podSelector, other.labels);
  }
  return other.namespace === policyNamespace && selectorMatches(peer.podSelector, other.labels);
}

function portMatches(ports: Obj[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port || (p.endPort !== undefined && port >= p.port && port <= p.endPort)));
}

function directionAllows(policies: Obj[], pod: Endpoint, other: Endpoint, direction: "Ingress" | "Egress", port: number, protocol: string): boolean {
  if (pod.ip) return true;
  const selecting = policies.filter((p) => p.metadata.namespace === pod.namespace && selectorMatches(p.spec.podSelector, pod.labels)
    && (p.spec.policyTypes ?? ["Ingress"]).includes(direction));
  if (selecting.length === 0) return true;
  const rulesKey = direction === "Ingress" ? "ingress" : "egress";
  const peersKey = direction === "Ingress" ? "from" : "to";
  return selecting.some((p) => (p.spec[rulesKey] ?? []).some((rule: Obj) =>
    portMatches(rule.ports, port, protocol) && (!rule[peersKey] || rule[peersKey].some((peer: Obj) => peerMatches(peer, other, p.metadata.namespace)))));
}

/** Whether the policies let the connection through (egress of the source and ingress of the destination). */
export function allowed(policies: Obj[], flow: Flow): boolean {
  const protocol = flow.protocol ?? "TCP";
  return directionAllows(policies, flow.from, flow.to, "Egress", flow.port, protocol)
    && directionAllows(policies, flow.to, flow.from, "Ingress", flow.port, protocol);
}

/**
 * Container logs to CloudWatch Logs: Fluent Bit on every node, in a namespace of its own (it mounts host paths,
 * which `baseline` and `restricted` forbid, so its namespace enforces `privileged` and holds nothing else), writing
 * to log groups the program creates (target.logs), with its metrics scraped and alerts when it drops or retries.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { counterIncrease, type RuleGroup } from "../../../lib/alerts";
import { allowIngress, defaultDenyIngress } from "../networkPolicies";
import type { LogGroups } from "../target";
import { charts, images, pinnedRelease, withDigest } from "../../../versions";
import { fluentBitConfig, METRICS_PORT, routingScript, STATE_DIR, type FluentBitSettings, type LogRouting } from "./fluentBit";

export { logGroupNames, otherGroup, pipelineGroup, routingScript, type LogRouting } from "./fluentBit";

export const LOGGING_NAMESPACE = "logging";
export const AGENT_NAME = "fluent-bit";
/** The agent's identity, for the log sink's IAM role. */
export const AGENT_IDENTITY = { namespace: LOGGING_NAMESPACE, serviceAccounts: [AGENT_NAME] };

/** The chart's values: every node, every taint, small, restricted as far as reading host files allows. */
export function fluentBitValues(settings: FluentBitSettings, sink: { region: pulumi.Input<string>; serviceAccountAnnotations: Record<string, pulumi.Input<string>> }) {
  return {
    fullnameOverride: AGENT_NAME,
    // fluent-bit chart 0.58.1 templates/_helpers.tpl `fluent-bit.image`: `<repository>:<tag>@<digest>` once the digest is pinned (versions.ts, imageDigests).
    image: { repository: images.fluentBit.repository, tag: images.fluentBit.tag, ...withDigest(images.fluentBit) },
    testFramework: { enabled: false },
    serviceAccount: { create: true, annotations: sink.serviceAccountAnnotations },
    env: [{ name: "AWS_REGION", value: sink.region }],
    // On every node whatever its taints (our pools taint stateful and batch nodes), evicted last.
    tolerations: [{ operator: "Exists" }],
    priorityClassName: "system-node-critical",
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    // Root reads the kubelet's root-owned log files; nothing else: no capability, no escalation, a read-only image.
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    metricsPort: METRICS_PORT,
    config: fluentBitConfig(settings),
    luaScripts: { "route.lua": routingScript(settings.routing) },
    // /var/log (the files and the links to /var/log/pods) and the agent's state: offsets and the disk buffer.
    daemonSetVolumes: [
      { name: "varlog", hostPath: { path: "/var/log" } },
      { name: "state", hostPath: { path: STATE_DIR, type: "DirectoryOrCreate" } },
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "state", mountPath: STATE_DIR },
    ],
  };
}

/**
 * The agent dropping records (after its retries, or beyond its disk buffer) and retrying for long (CloudWatch
 * unreachable or refusing). Fluent Bit's per-output counters appear on their first event (cmetrics: "An untouched
 * counter has no series yet", fluent-bit tests/internal), so a drop counts from the series' birth.
 */
export function logShippingAlertRules(namespace: string): RuleGroup[] {
  const output = `namespace="${namespace}"`;
  return [{
    name: "log-shipping",
    rules: [
      {
        alert: "LogShippingDropping",
        expr: `${counterIncrease(`fluentbit_output_dropped_records_total{${output}}`, "15m")} > 0`,
        for: "0m",
        severity: "warning",
        summary: "Fluent Bit dropped log records",
        description: "Container logs were lost: CloudWatch refused them past the retries, or a node's disk buffer was full.",
      },
      {
        alert: "LogShippingRetrying",
        expr: `sum(increase(fluentbit_output_retries_total{${output}}[10m])) > 0`,
        for: "30m",
        severity: "warning",
        summary: "Fluent Bit has been retrying for 30 minutes",
        description: "Logs are buffered on the nodes' disks while CloudWatch Logs cannot be reached; they are dropped once a buffer is full.",
      },
      {
        alert: "LogAgentMissing",
        expr: `max(kube_daemonset_status_number_unavailable{${output}, daemonset="${AGENT_NAME}"}) > 0`,
        for: "15m",
        severity: "warning",
        summary: "Nodes without a log agent",
        description: "Fluent Bit is not running on every node: the logs of pods there are read once it starts, unless the kubelet rotates them away first.",
      },
    ],
  }];
}

export interface LogShippingArgs {
  /** The log groups (target.logs), created with the agent's identity. */
  groups: LogGroups;
  routing: LogRouting;
  refreshIntervalSeconds: number;
  bufferMiB: number;
  provider: k8s.Provider;
  monitoringNamespace: string;
  monitoringCrds: pulumi.Resource[];
}

export class LogShipping extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: LogShippingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:observability:LogShipping", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
      metadata: { name: LOGGING_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "privileged" } },
    }, k8sOpts);
    const groups = args.groups;
    const values = fluentBitValues({ routing: args.routing, refreshIntervalSeconds: args.refreshIntervalSeconds, bufferMiB: args.bufferMiB, ownNamespace: LOGGING_NAMESPACE }, groups);
    this.release = new k8s.helm.v3.Release(name, pinnedRelease(AGENT_NAME, charts.fluentBit, LOGGING_NAMESPACE, values), { ...k8sOpts, dependsOn: [namespace, ...groups.ready] });

    // Nothing reaches the agent but Prometheus; it reaches the API server and CloudWatch (public AWS endpoints).
    for (const policy of [defaultDenyIngress(LOGGING_NAMESPACE), allowIngress(LOGGING_NAMESPACE, { name: "allow-prometheus", podLabels: {}, fromNamespaces: [args.monitoringNamespace], ports: [METRICS_PORT] })]) {
      new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, { metadata: policy.metadata, spec: policy.spec }, { ...k8sOpts, dependsOn: [namespace] });
    }
    new k8s.apiextensions.CustomResource(`${name}-monitor`, {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: AGENT_NAME, namespace: LOGGING_NAMESPACE },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": AGENT_NAME } },
        // Fluent Bit's cmetrics endpoint (fluentbit_* with an output's `name` label).
        podMetricsEndpoints: [{ port: "http", path: "/api/v2/metrics/prometheus" }],
      },
    }, { ...k8sOpts, dependsOn: [namespace, ...args.monitoringCrds] });
    this.registerOutputs({});
  }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { stringify as toYaml } from "yaml";
import type { MonitoringConfig } from "../../config/schema";
import { prometheusRuleSpec, type RuleGroup } from "../../lib/alerts";
import { dashboardJson, type Dashboard } from "../../lib/dashboards";
import { platformDashboards } from "./dashboards";
import { CRONWORKFLOW_RBAC_RULES, cronWorkflowStateConfig } from "./cronWorkflowMetrics";
import { PIPELINE_LABEL } from "./pipelines/pod";
import { DATA_PRIORITY_CLASS, type Placements } from "../../lib/placement";
import type { PlatformTarget } from "./target";
import { chartCrdFiles, charts, pinnedRelease } from "../../versions";
import { allowIngress, defaultDenyIngress } from "./networkPolicies";
import { crdConfigGroup } from "./crdFiles";

/** Names the Prometheus Operator derives from the release's fullname. */
export const FULLNAME = "kube-prometheus";
export const ALERTMANAGER_CONFIG_SECRET = `alertmanager-${FULLNAME}-alertmanager`;
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
/** node-exporter's own namespace: the only privileged one of monitoring. */
export const NODE_EXPORTER_NAMESPACE = "node-exporter";
/**
 * The Prometheus Operator's pods and the port of its admission webhook (TLS): kube-prometheus-stack 88.5.3
 * templates/prometheus-operator/deployment.yaml labels them `app: <name>-operator`, the name being the chart's
 * (`kube-prometheus-stack.name`: nameOverride, unset here), and listens on `prometheusOperator.tls.internalPort`.
 */
export const OPERATOR_POD_LABELS = { app: "kube-prometheus-stack-operator" };
export const OPERATOR_WEBHOOK_PORT = 10250;

/**
 * The monitoring namespace's ingress: its own pods reach each other on any port (Grafana and Alertmanager to
 * Prometheus, Prometheus scraping the stack, Alertmanager's gossip); the API server reaches the operator's
 * admission webhook; nothing else gets in. Where else must send in (OTLP to the collector), its component adds it.
 */
export function monitoringIngressPolicies(namespace: string, webhookCallers: pulumi.Input<string>[]) {
  return [
    defaultDenyIngress(namespace),
    allowIngress(namespace, { name: "allow-same-namespace", podLabels: {}, fromNamespaces: [], fromPodsHere: [{}] }),
    allowIngress(namespace, { name: "allow-admission-webhook", podLabels: OPERATOR_POD_LABELS, fromNamespaces: [], fromCidrs: webhookCallers, ports: [OPERATOR_WEBHOOK_PORT] }),
  ];
}

export interface MonitoringArgs {
  config: MonitoringConfig;
  target: PlatformTarget;
  /** The `etl-platform:secrets` values; receivers name theirs. */
  secrets: pulumi.Output<Record<string, string>>;
  /** Alert rules, from the components that own what they watch. */
  ruleGroups: Record<string, RuleGroup[]>;
  /** The container logs' CloudWatch groups, for Grafana's logs panels (AWS with container logs on). */
  cloudWatchLogs?: CloudWatchLogsSource;
  /** Dashboards of the other components (the pipelines'). */
  dashboards: Dashboard[];
  /** The streaming pipelines (their consumer groups), for the Kafka dashboard's lag panels. */
  streaming: { namespace: string; pipelines: string[] };
}

/** Grafana's read-only way into the container logs. */
export interface CloudWatchLogsSource {
  region: pulumi.Input<string>;
  serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
  ready: pulumi.Resource[];
}

/** kube-state-metrics 8.4.0's default `collectors` without `secrets` (test/observability.test.ts checks it against the chart). */
export const KUBE_STATE_METRICS_COLLECTORS = [
  "certificatesigningrequests", "configmaps", "cronjobs", "daemonsets", "deployments", "endpointslices", "horizontalpodautoscalers",
  "ingresses", "jobs", "leases", "limitranges", "mutatingwebhookconfigurations", "namespaces", "networkpolicies", "nodes",
  "persistentvolumeclaims", "persistentvolumes", "poddisruptionbudgets", "pods", "replicasets", "replicationcontrollers",
  "resourcequotas", "services", "statefulsets", "storageclasses", "validatingwebhookconfigurations", "volumeattachments",
];

/** Grafana's service account: named, so that the logs reader's IAM role can trust exactly it. */
export const GRAFANA_SERVICE_ACCOUNT = "grafana";
export const CLOUDWATCH_DATASOURCE_UID = "cloudwatch";

/** Alertmanager's config: every alert to every receiver, resolved ones too; critical ones re-sent hourly. */
export function alertmanagerConfig(receivers: MonitoringConfig["receivers"], secretValues: Record<string, string>): string {
  const receiverConfig = (receiver: MonitoringConfig["receivers"][number]) => {
    const value = secretValues[receiver.secret];
    switch (receiver.type) {
      case "slack":
        return { name: receiver.name, slack_configs: [{ api_url: value, channel: receiver.channel, send_resolved: true }] };
      case "pagerduty":
        return { name: receiver.name, pagerduty_configs: [{ routing_key: value, send_resolved: true }] };
      case "webhook":
        return { name: receiver.name, webhook_configs: [{ url: value, send_resolved: true }] };
    }
  };
  return toYaml({
    route: {
      receiver: "null",
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [
        // The always-firing Watchdog alert proves the pipeline works; it is not a page.
        { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        ...receivers.map((receiver) => ({ receiver: receiver.name, matchers: ['severity =~ "critical|warning"'], continue: true })),
      ],
    },
    receivers: [{ name: "null" }, ...receivers.map(receiverConfig)],
  });
}

export function monitoringValues(args: Pick<MonitoringArgs, "config" | "cloudWatchLogs"> & { target: Pick<PlatformTarget, "environment" | "storageClassName"> & { placement: Placements } }) {
  const { config, target } = args;
  const prod = target.environment === "prod";
  const { stateful: statefulPlacement, system, zoneLabel } = target.placement;
  const stateful = { tolerations: statefulPlacement.tolerations, ...(statefulPlacement.affinity ? { affinity: statefulPlacement.affinity } : {}) };
  const nodeSelector = system.nodeSelector ?? {};
  return {
    fullnameOverride: FULLNAME,
    // The Prometheus Operator's CRDs are applied by the program at the chart's operator version, so a chart bump
    // upgrades them; the chart's `crds` subchart would install them once (Helm never upgrades `crds/`).
    crds: { enabled: false },
    prometheus: {
      prometheusSpec: {
        retention: config.retention,
        replicas: prod ? 2 : 1,
        priorityClassName: DATA_PRIORITY_CLASS,
        resources: config.prometheusResources,
        ...stateful,
        podAntiAffinity: prod ? "hard" : "soft",
        podAntiAffinityTopologyKey: zoneLabel ?? "kubernetes.io/hostname",
        storageSpec: {
          volumeClaimTemplate: {
            spec: { storageClassName: target.storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: config.storageSize } } },
          },
        },
        // Select monitors and rules in every namespace, not only those labelled with this release's name.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        serviceMonitorNamespaceSelector: {},
        podMonitorNamespaceSelector: {},
        ruleNamespaceSelector: {},
      },
    },
    alertmanager: {
      enabled: true,
      alertmanagerSpec: {
        replicas: prod ? 2 : 1,
        useExistingSecret: true,
        nodeSelector,
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
      },
    },
    grafana: {
      enabled: true,
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
      // Grafana's sidecars read ConfigMaps and Secrets: only in its own namespace, where the dashboards are
      // (grafana chart: rbac.namespaced makes a Role instead of a ClusterRole; searchNamespace null = its own).
      rbac: { namespaced: true },
      sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: null } },
      nodeSelector,
      serviceAccount: { name: GRAFANA_SERVICE_ACCOUNT, ...(args.cloudWatchLogs ? { annotations: args.cloudWatchLogs.serviceAccountAnnotations } : {}) },
      // Container logs in CloudWatch, read with Grafana's own IAM role (IRSA: the "default" credential chain).
      additionalDataSources: args.cloudWatchLogs
        ? [{ name: "CloudWatch", type: "cloudwatch", uid: CLOUDWATCH_DATASOURCE_UID, access: "proxy", editable: false, jsonData: { authType: "default", defaultRegion: args.cloudWatchLogs.region } }]
        : [],
    },
    kubeStateMetrics: { enabled: true },
    "kube-state-metrics": {
      // Node labels that the capacity alerts and dashboards group by; the pipeline label of its Jobs, pods and
      // CronJobs, so a run's series name its pipeline (`label_etl_platform_pipeline`).
      metricLabelsAllowlist: [
        "nodes=[eks.amazonaws.com/capacityType,etl-platform/pool,etl-platform/capacity]",
        `cronjobs=[${PIPELINE_LABEL}]`, `jobs=[${PIPELINE_LABEL}]`, `pods=[${PIPELINE_LABEL}]`,
      ],
      // Every default collector but `secrets`: its ClusterRole rule would let kube-state-metrics list every Secret of
      // the cluster, and no alert or dashboard reads a Secret's series. An explicit list (not collectorsExclude),
      // which the chart's RBAC template and its --resources flag both follow.
      collectors: KUBE_STATE_METRICS_COLLECTORS,
      // The CronWorkflows' durable run counts (cronWorkflowMetrics.ts), which the pipeline and drill alerts read.
      customResourceState: { enabled: true, config: cronWorkflowStateConfig() },
      rbac: { extraRules: CRONWORKFLOW_RBAC_RULES },
    },
    nodeExporter: { enabled: true },
    "prometheus-node-exporter": { namespaceOverride: NODE_EXPORTER_NAMESPACE },
    prometheusOperator: { nodeSelector, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } },
  };
}

/**
 * kube-prometheus-stack: Prometheus on the stateful pool, Alertmanager with receivers from secrets, Grafana with
 * a generated admin password and the platform's dashboards, kube-state-metrics and node-exporter; then the
 * platform's alert rules, once the chart's CRDs exist.
 */
export class Monitoring extends pulumi.ComponentResource {
  /**
   * What ServiceMonitors and PodMonitors (ours and the charts') must wait for: the Prometheus Operator's CRDs only.
   * The chart's admission webhook validates PrometheusRules alone ("Admission webhook support for PrometheusRules",
   * kube-prometheus-stack values.yaml `prometheusOperator.admissionWebhooks`), so monitors need no running
   * operator, and the other operators install side by side with the monitoring stack.
   */
  public readonly crdsReady: pulumi.Resource[];
  /** The monitoring namespace, for what else lives there (the OpenTelemetry Collector). */
  public readonly namespaceReady: pulumi.Resource[];
  public readonly namespace: string;
  public readonly grafanaAdminPassword: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:observability:Monitoring", name, {}, opts);
    const { config } = args;
    const provider = args.target.provider;
    const k8sOpts = { parent: this, provider };

    // node-exporter needs the host's network, PID namespace and filesystem, which only the privileged level
    // admits: it gets a namespace of its own (the subchart's namespaceOverride), and monitoring enforces baseline.
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
      metadata: { name: config.namespace, labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted" } },
    }, k8sOpts);
    const nodeExporterNamespace = new k8s.core.v1.Namespace(`${name}-node-exporter-ns`, {
      metadata: { name: NODE_EXPORTER_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
    }, k8sOpts);

    for (const policy of monitoringIngressPolicies(config.namespace, args.target.webhookCallers)) {
      new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy, { ...k8sOpts, dependsOn: [namespace] });
    }

    const grafanaPassword = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this });
    const grafanaSecret = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
      metadata: { name: GRAFANA_ADMIN_SECRET, namespace: config.namespace },
      stringData: { "admin-user": "admin", "admin-password": grafanaPassword.result },
    }, { ...k8sOpts, dependsOn: [namespace] });

    const alertmanagerSecret = new k8s.core.v1.Secret(`${name}-alertmanager-config`, {
      metadata: { name: ALERTMANAGER_CONFIG_SECRET, namespace: config.namespace },
      stringData: { "alertmanager.yaml": pulumi.secret(args.secrets.apply((values) => alertmanagerConfig(config.receivers, values))) },
    }, { ...k8sOpts, dependsOn: [namespace] });

    const crds = crdConfigGroup(`${name}-crds`, chartCrdFiles.kubePrometheusStack, k8sOpts);
    const release = new k8s.helm.v3.Release(name, { ...pinnedRelease("kube-prometheus-stack", charts.kubePrometheusStack, config.namespace, monitoringValues(args)), skipCrds: true }, {
      ...k8sOpts,
      dependsOn: [namespace, nodeExporterNamespace, grafanaSecret, alertmanagerSecret, crds, ...(args.cloudWatchLogs?.ready ?? [])],
    });

    for (const dashboard of [...platformDashboards(args.streaming), ...args.dashboards]) {
      new k8s.core.v1.ConfigMap(`${name}-dashboard-${dashboard.uid}`, {
        metadata: { name: `dashboard-${dashboard.uid}`, namespace: config.namespace, labels: { grafana_dashboard: "1" } },
        data: { [`${dashboard.uid}.json`]: dashboardJson(dashboard) },
      }, { ...k8sOpts, dependsOn: [namespace] });
    }

    // PrometheusRules wait for the release: its admission webhook (failurePolicy Fail once installed) must be running.
    for (const [owner, groups] of Object.entries(args.ruleGroups)) {
      if (groups.every((group) => group.rules.length === 0)) continue;
      new k8s.apiextensions.CustomResource(`${name}-rules-${owner}`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: `etl-${owner}`, namespace: config.namespace },
        spec: prometheusRuleSpec(groups),
      }, { ...k8sOpts, dependsOn: [release] });
    }

    this.crdsReady = [crds];
    this.namespaceReady = [namespace];
    this.namespace = config.namespace;
    this.grafanaAdminPassword = grafanaPassword.result;
    this.registerOutputs({ namespace: this.namespace });
  }
}

/**
 * Per-environment defaults: the one place where staging (small, cheap) and prod (highly available) differ.
 * A stack file's sections are merged over these key by key; lists (node pools, topics, pipelines) replace the
 * default list whole.
 */
import type { Environment } from "./schema";

const smallRequests = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };

/** Four interchangeable 4 vCPU / 16 GiB types from four families: a spot pool that rarely runs dry. */
const batchInstanceTypes = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"];

// Fluent Bit looks for new files every second, not every 60 (its default would miss most short Jobs); a disk
// buffer rides out a CloudWatch outage of minutes.
const containerLogs = { enabled: true, refreshIntervalSeconds: 1, bufferMiB: 512 };

const common = {
  network: { cidr: "10.0.0.0/16" },
  cluster: { kubernetesVersion: "1.35", adminRoleArns: [] as string[] },
  security: { breakGlassRoleArns: [] as string[] },
  autoscaler: { enabled: true, scaleDownUnneededTime: "10m", maxNodeProvisionTime: "5m", resources: smallRequests },
  kafka: {
    namespace: "kafka",
    plainListener: false,
    authentication: "scram-sha-512",
    deleteClaim: false,
    topics: [] as unknown[],
  },
  postgres: { namespace: "postgres", majorVersion: "17", database: "etl", owner: "etl" },
  monitoring: { namespace: "monitoring", freshnessMarginMinutes: 30, receivers: [] as unknown[] },
  argo: { namespace: "argo" },
  pipelines: [] as unknown[],
};

export const environmentDefaults: Record<Environment, Record<string, unknown>> = {
  staging: {
    ...common,
    network: { ...common.network, availabilityZones: 2, natGateways: "single" },
    // Staging follows EKS's standard support: cheaper, and an automatic upgrade there is an early warning.
    cluster: { ...common.cluster, name: "etl-staging", upgradePolicy: "STANDARD", publicAccessCidrs: [], logTypes: ["api", "audit"] },
    logging: { retentionDays: 7, containerLogs },
    telemetry: { enabled: true, collectorReplicas: 1, collectorResources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } } },
    nodePools: {
      system: { instanceTypes: ["t3.large"], minSize: 1, desiredSize: 2, maxSize: 3, diskSizeGiB: 30 },
      stateful: { instanceTypes: ["r6i.large"], minSize: 1, desiredSize: 1, maxSize: 3, diskSizeGiB: 30 },
      batch: [
        { name: "batch", instanceTypes: batchInstanceTypes, minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 50 },
        { name: "batch-ondemand", capacityType: "on-demand", instanceTypes: ["m6i.large"], minSize: 0, desiredSize: 0, maxSize: 2, diskSizeGiB: 50 },
      ],
    },
    autoscaler: common.autoscaler,
    kafka: {
      ...common.kafka,
      brokers: 1,
      controllers: 1,
      combinedRoles: true,
      brokerStorageSize: "20Gi",
      controllerStorageSize: "5Gi",
      brokerResources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
      controllerResources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "1Gi" } },
      defaultReplicationFactor: 1,
      minInsyncReplicas: 1,
    },
    postgres: {
      ...common.postgres,
      instances: 1,
      storageSize: "20Gi",
      walStorageSize: "5Gi",
      resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
      backup: { enabled: true, schedule: "0 3 * * *", retentionDays: 7 },
    },
    monitoring: {
      ...common.monitoring,
      retention: "7d",
      storageSize: "20Gi",
      prometheusResources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
    },
    argo: { ...common.argo, serverAuthMode: "client", artifactRetentionDays: 7, archive: false },
  },
  prod: {
    ...common,
    network: { ...common.network, availabilityZones: 3, natGateways: "perZone" },
    cluster: {
      ...common.cluster,
      name: "etl-prod",
      // Prod is never upgraded by EKS behind the team's back; the plan warns 60 days before standard support ends.
      upgradePolicy: "EXTENDED",
      publicAccessCidrs: [],
      logTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    },
    logging: { retentionDays: 90, containerLogs },
    telemetry: { enabled: true, collectorReplicas: 2, collectorResources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } } },
    nodePools: {
      system: { instanceTypes: ["m6i.large"], minSize: 2, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 },
      stateful: { instanceTypes: ["r6i.xlarge"], minSize: 1, desiredSize: 1, maxSize: 3, diskSizeGiB: 50 },
      batch: [
        { name: "batch", instanceTypes: batchInstanceTypes, minSize: 0, desiredSize: 0, maxSize: 20, diskSizeGiB: 100 },
        { name: "batch-ondemand", capacityType: "on-demand", instanceTypes: ["m6i.xlarge"], minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 100 },
      ],
    },
    autoscaler: common.autoscaler,
    kafka: {
      ...common.kafka,
      brokers: 3,
      controllers: 3,
      combinedRoles: false,
      brokerStorageSize: "200Gi",
      controllerStorageSize: "20Gi",
      brokerResources: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "4Gi" } },
      controllerResources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } },
      defaultReplicationFactor: 3,
      minInsyncReplicas: 2,
    },
    postgres: {
      ...common.postgres,
      instances: 3,
      storageSize: "200Gi",
      walStorageSize: "50Gi",
      resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "4Gi" } },
      backup: { enabled: true, schedule: "0 2 * * *", retentionDays: 30 },
    },
    monitoring: {
      ...common.monitoring,
      retention: "30d",
      storageSize: "200Gi",
      prometheusResources: { requests: { cpu: "500m", memory: "4Gi" }, limits: { memory: "8Gi" } },
    },
    argo: { ...common.argo, serverAuthMode: "client", artifactRetentionDays: 30, archive: false },
  },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Merges `override` over `base` key by key; arrays and scalars in `override` replace those in `base`. */
export function mergeDefaults(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeDefaults(base[key], value);
  return merged;
}

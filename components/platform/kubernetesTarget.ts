/**
 * target: kubernetes: the platform layer on a cluster we did not create (kind, an existing EKS or any other),
 * reached through the standard Pulumi Kubernetes config. No AWS resource: an in-cluster object store replaces
 * S3, workloads are placed anywhere, and NetworkPolicies name the in-cluster store and the API server's address.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { kubernetesTargetDefaults, type PlatformConfig } from "../../config/schema";
import { anyNodePlacements } from "../../lib/placement";
import { InClusterObjectStore } from "./inClusterObjectStore";
import type { PlatformTarget } from "./target";

export interface KubernetesTargetArgs {
  config: PlatformConfig;
  /** `kubernetes:kubeconfig` and `kubernetes:context`; unset, the provider's defaults (KUBECONFIG, the current context). */
  kubernetes: { kubeconfig?: string; context?: string };
}

export function kubernetesTarget(name: string, args: KubernetesTargetArgs, parent: pulumi.Resource) {
  const settings = args.config.kubernetesTarget ?? kubernetesTargetDefaults();
  const provider = new k8s.Provider(`${name}-k8s`, {
    ...(args.kubernetes.kubeconfig ? { kubeconfig: args.kubernetes.kubeconfig } : {}),
    ...(args.kubernetes.context ? { context: args.kubernetes.context } : {}),
    enableServerSideApply: true,
  }, { parent });
  const store = new InClusterObjectStore(provider);
  return {
    store,
    settings,
    target: {
      environment: args.config.environment,
      provider,
      storageClassName: settings.storageClassName,
      scratchStorageClassName: settings.scratchStorageClassName,
      objectStore: store,
      placement: anyNodePlacements,
      egress: { apiServer: { cidrs: settings.apiServerCidrs, ports: settings.apiServerPorts }, objectStore: [] },
      webhookCallers: settings.apiServerCidrs,
      ready: [provider],
    } satisfies PlatformTarget,
  };
}

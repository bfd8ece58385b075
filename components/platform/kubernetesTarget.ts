/**
 * target: kubernetes: the platform layer on a cluster we did not create (kind, an existing EKS or any other),
 * reached through the standard Pulumi Kubernetes config. No AWS resource: an in-cluster object store, or an
 * S3-compatible one outside the cluster (`kubernetesTarget.externalObjectStore`, required in prod), replaces S3;
 * workloads are placed anywhere, and NetworkPolicies name the store and the API server's address.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { kubernetesTargetDefaults, type PlatformConfig } from "../../config/schema";
import { anyNodePlacements } from "../../lib/placement";
import { InClusterObjectStore } from "./inClusterObjectStore";
import { endpointPort, ExternalObjectStore } from "./externalObjectStore";
import type { PlatformTarget } from "./target";

export interface KubernetesTargetArgs {
  config: PlatformConfig;
  /** The `etl-platform:secrets` values (an external store's keys). */
  secrets: pulumi.Output<Record<string, string>>;
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
  const external = settings.externalObjectStore;
  const store = external ? new ExternalObjectStore(external, args.secrets, provider) : new InClusterObjectStore(provider);
  return {
    /** The in-cluster store, to install once every bucket and grant is known; none with an external store. */
    inClusterStore: store instanceof InClusterObjectStore ? store : undefined,
    settings,
    target: {
      environment: args.config.environment,
      provider,
      storageClassName: settings.storageClassName,
      scratchStorageClassName: settings.scratchStorageClassName,
      objectStore: store,
      placement: anyNodePlacements,
      egress: {
        apiServer: { cidrs: settings.apiServerCidrs, ports: settings.apiServerPorts },
        objectStore: (external?.cidrs ?? []).map((cidr) => ({ cidr })),
        ...(external ? { objectStorePort: endpointPort(external.endpoint) } : {}),
      },
      webhookCallers: settings.apiServerCidrs,
      ready: [provider],
    } satisfies PlatformTarget,
  };
}

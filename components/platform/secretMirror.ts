import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Placements } from "../../lib/placement";
import { charts, pinnedRelease } from "../../versions";

const ANNOTATION = "reflector.v1.k8s.emberstack.com";

/**
 * Annotations for a source secret that the operator generates (the Postgres app credentials, the Kafka cluster
 * CA): it may be copied into `targetNamespaces`, and only where a secret there asks for it by name.
 */
export function mirrorSourceAnnotations(targetNamespaces: string[]): Record<string, string> {
  return { [`${ANNOTATION}/reflection-allowed`]: "true", [`${ANNOTATION}/reflection-allowed-namespaces`]: targetNamespaces.join(",") };
}

/** Annotations for the copy: which `namespace/name` it mirrors. */
export function mirrorTargetAnnotations(sourceNamespace: string, sourceName: string): Record<string, string> {
  return { [`${ANNOTATION}/reflects`]: `${sourceNamespace}/${sourceName}` };
}

export interface SecretMirrorArgs {
  provider: k8s.Provider;
  placement: Pick<Placements, "system">;
}

/**
 * Operators write credentials into their own namespace, and a pod can only read secrets of its own. The
 * reflector copies the few secrets the pipelines need, keeps the copies in sync when operators rotate them, and
 * copies nothing a source secret has not allowed.
 */
export class SecretMirror extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: SecretMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:security:SecretMirror", name, {}, opts);
    this.release = new k8s.helm.v3.Release(name, pinnedRelease("reflector", charts.reflector, "kube-system", {
      nodeSelector: args.placement.system.nodeSelector ?? {},
      resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    }), { parent: this, provider: args.provider });
    this.registerOutputs({});
  }
}

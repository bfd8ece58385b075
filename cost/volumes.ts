/**
 * Persistent volumes the platform's operators and charts claim, read from the plan: Strimzi KafkaNodePools,
 * CloudNativePG Clusters (data and WAL), kube-prometheus-stack's Prometheus and Alertmanager, and any plain
 * PersistentVolumeClaim or StatefulSet. Each becomes an EBS volume of its StorageClass's type.
 */
import { parseQuantity } from "../lib/quantity";
import { line, type CostLine } from "./lines";
import { ofType, type PlannedResource } from "./plannedResource";
import { PriceError } from "./prices";

interface Claim {
  owner: string;
  what: string;
  count: number;
  size: string;
  storageClass?: string;
}

const GIB = 2 ** 30;

function kafkaClaims(pool: PlannedResource): Claim[] {
  const spec = pool.inputs.spec ?? {};
  const storage = spec.storage ?? {};
  // Strimzi: storage is one persistent-claim, or jbod with a list of them (api/.../storage/JbodStorage.java).
  const volumes = storage.type === "jbod" ? storage.volumes ?? [] : [storage];
  return volumes
    .filter((volume: any) => volume.type === "persistent-claim")
    .map((volume: any) => ({ owner: `KafkaNodePool ${pool.inputs.metadata?.name}`, what: `volume ${volume.id ?? 0}`, count: spec.replicas ?? 0, size: volume.size, storageClass: volume.class }));
}

function postgresClaims(cluster: PlannedResource): Claim[] {
  const spec = cluster.inputs.spec ?? {};
  const owner = `CloudNativePG Cluster ${cluster.inputs.metadata?.name}`;
  const claims: Claim[] = [];
  for (const [what, storage] of [["data", spec.storage], ["WAL", spec.walStorage]] as const) {
    if (storage?.size) claims.push({ owner, what, count: spec.instances ?? 1, size: storage.size, storageClass: storage.storageClass });
  }
  return claims;
}

function templateClaim(owner: string, what: string, count: number, template: any): Claim | undefined {
  const size = template?.spec?.resources?.requests?.storage;
  return size ? { owner, what, count, size, storageClass: template.spec.storageClassName } : undefined;
}

function prometheusStackClaims(release: PlannedResource): Claim[] {
  if (release.inputs.chart !== "kube-prometheus-stack") return [];
  const values = release.inputs.values ?? {};
  const prometheus = values.prometheus?.prometheusSpec ?? {};
  const alertmanager = values.alertmanager?.alertmanagerSpec ?? {};
  // The chart's default for both is one replica and no volume (an emptyDir) unless a storage spec is given.
  return [
    templateClaim("kube-prometheus-stack", "Prometheus", prometheus.replicas ?? 1, prometheus.storageSpec?.volumeClaimTemplate),
    templateClaim("kube-prometheus-stack", "Alertmanager", alertmanager.replicas ?? 1, alertmanager.storage?.volumeClaimTemplate),
  ].filter((claim): claim is Claim => claim !== undefined);
}

function plainClaims(resources: PlannedResource[]): Claim[] {
  const claims = ofType(resources, "kubernetes:core/v1:PersistentVolumeClaim").map((claim) => templateClaim(`PersistentVolumeClaim ${claim.inputs.metadata?.name}`, "claim", 1, claim.inputs));
  const sets = ofType(resources, "kubernetes:apps/v1:StatefulSet").flatMap((set) =>
    (set.inputs.spec?.volumeClaimTemplates ?? []).map((template: any) => templateClaim(`StatefulSet ${set.inputs.metadata?.name}`, template.metadata?.name ?? "claim", set.inputs.spec?.replicas ?? 1, template)),
  );
  return [...claims, ...sets].filter((claim): claim is Claim => claim !== undefined);
}

/** The EBS volume type behind each StorageClass the plan declares, and the default class's name. */
function storageClasses(resources: PlannedResource[]): { types: Map<string, string>; defaultClass?: string } {
  const types = new Map<string, string>();
  let defaultClass: string | undefined;
  for (const storageClass of ofType(resources, "kubernetes:storage.k8s.io/v1:StorageClass")) {
    const name = storageClass.inputs.metadata?.name;
    types.set(name, storageClass.inputs.parameters?.type ?? "gp3");
    if (storageClass.inputs.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true") defaultClass = name;
  }
  return { types, defaultClass };
}

export function volumeLines(resources: PlannedResource[], gp3GBMonth: number): CostLine[] {
  const claims = [
    ...ofType(resources, "kubernetes:kafka.strimzi.io/v1:KafkaNodePool").flatMap(kafkaClaims),
    ...ofType(resources, "kubernetes:postgresql.cnpg.io/v1:Cluster").flatMap(postgresClaims),
    ...ofType(resources, "kubernetes:helm.sh/v3:Release").flatMap(prometheusStackClaims),
    ...plainClaims(resources),
  ];
  const classes = storageClasses(resources);
  return claims.map((claim) => {
    const className = claim.storageClass ?? classes.defaultClass;
    const volumeType = className === undefined ? "gp3" : classes.types.get(className) ?? "gp3";
    if (volumeType !== "gp3") throw new PriceError(`${claim.owner}: no price for EBS volume type ${volumeType} (StorageClass ${className}); the snapshot prices gp3 only`);
    const bytes = parseQuantity(String(claim.size));
    if (bytes === undefined) throw new PriceError(`${claim.owner}: cannot read the volume size ${JSON.stringify(claim.size)}`);
    const gib = bytes / GIB;
    return line(`volumes/${claim.owner}/${claim.what}`, "storage", `${claim.owner}, ${claim.what}: ${claim.count} × ${claim.size} gp3`, claim.count * gib, "GB-month", gp3GBMonth, "fixed");
  });
}

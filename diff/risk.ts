/**
 * How risky each change is. Danger: a refused update, or a delete or replace of something that holds data or
 * identity (directly or by cascade), or a Kubernetes version step EKS refuses. Caution: chart and Kubernetes
 * version bumps, and replacing something stateless. Safe: the rest.
 */
import { parseQuantity } from "../lib/quantity";
import { POOL_LABEL } from "../lib/placement";

export type Action = "create" | "update" | "replace" | "delete";
/** `unknown`: the verdict depends on a value only the deploy knows (an "[unknown]" input): neither safe nor danger. */
export type Risk = "danger" | "caution" | "unknown" | "safe";

/** What a resource is on one side of the diff (its presented inputs). */
export interface Side {
  type: string;
  name: string;
  inputs: Record<string, any>;
  protect: boolean;
}

/** Types whose delete or replace loses data or an identity others hold on to. */
const HOLDS_DATA_OR_IDENTITY: Record<string, string> = {
  "eks:index:Cluster": "the EKS cluster: everything on it, and its identity (endpoint, OIDC issuer, access entries)",
  "aws:ec2/vpc:Vpc": "the VPC: every subnet, node and the cluster sit in it",
  "aws:ec2/subnet:Subnet": "a subnet: its nodes and their volumes' zone placement",
  "aws:kms/key:Key": "a KMS key: what it encrypted (secrets, volumes, logs, backups) needs it to be read",
  "aws:s3/bucket:Bucket": "a bucket: its objects (backups, logs, artifacts)",
  "kubernetes:core/v1:Namespace": "a namespace: deleting it deletes everything in it",
  "kubernetes:kafka.strimzi.io/v1:Kafka": "the Kafka cluster: its topics' data",
  "kubernetes:kafka.strimzi.io/v1:KafkaNodePool": "a Kafka node pool: its brokers' volumes are orphaned and a new pool starts empty",
  "kubernetes:kafka.strimzi.io/v1:KafkaTopic": "a topic: its messages",
  "kubernetes:postgresql.cnpg.io/v1:Cluster": "the Postgres cluster: a new Cluster starts empty (restore it from backup instead)",
  "kubernetes:core/v1:PersistentVolumeClaim": "a volume claim: its data",
  "random:index/randomPassword:RandomPassword": "a generated password: whoever holds the old one is locked out",
  // A log group's events go with it (CloudWatch Logs DeleteLogGroup): the audit trail, the control plane's and the
  // containers' logs of its retention period.
  "aws:cloudwatch/logGroup:LogGroup": "a log group: its retained events (audit trail, control-plane and container logs) are deleted with it",
};

function holdsData(side: Side): string | undefined {
  if (side.type === "aws:eks/nodeGroup:NodeGroup" && side.inputs.labels?.[POOL_LABEL] === "stateful") {
    return "a stateful node pool: Kafka and Postgres pods are evicted together, and a pool in another zone cannot take their volumes";
  }
  return HOLDS_DATA_OR_IDENTITY[side.type];
}

/** A KafkaNodePool's volumes: the JBOD's, or its single storage (volume 0), or none where no storage is declared. */
function poolVolumes(inputs: any): any[] {
  const storage = inputs.spec?.storage;
  if (!storage) return [];
  return storage.type === "jbod" ? storage.volumes ?? [] : [storage];
}
const sizeOf = (value: unknown) => (typeof value === "string" ? parseQuantity(value) : undefined);
const get = (object: any, path: string) => path.split(".").reduce((value, key) => (value === undefined || value === null ? undefined : value[key]), object);

/**
 * Updates an operator or AWS refuses (or ignores), which the API server happily accepts: the update "succeeds"
 * and nothing happens, or the apply fails half-way.
 */
function refusedUpdate(base: Side, head: Side): string | undefined {
  const [before, after] = [base.inputs, head.inputs];
  if (head.type === "kubernetes:postgresql.cnpg.io/v1:Cluster") {
    for (const storage of ["storage", "walStorage"]) {
      const [was, now] = [get(before, `spec.${storage}`), get(after, `spec.${storage}`)];
      // cloudnative-pg api/v1/cluster_webhook.go (validateStorageChange, validateWalStorageChange).
      if (was?.storageClass !== now?.storageClass) return `CloudNativePG's webhook refuses changing spec.${storage}.storageClass (${was?.storageClass} → ${now?.storageClass}) of an existing cluster; create a new cluster from a backup`;
      if ((sizeOf(now?.size) ?? 0) < (sizeOf(was?.size) ?? 0)) return `CloudNativePG's webhook refuses shrinking spec.${storage}.size (${was?.size} → ${now?.size}): a volume cannot shrink`;
      if (was && !now) return `CloudNativePG's webhook refuses removing spec.${storage} from an existing cluster`;
    }
  }
  if (head.type === "kubernetes:kafka.strimzi.io/v1:KafkaNodePool") {
    const was = new Map(poolVolumes(before).map((volume: any) => [volume.id ?? 0, volume]));
    for (const volume of poolVolumes(after)) {
      const old: any = was.get(volume.id ?? 0);
      if (!old) continue;
      // Strimzi KafkaNodePool storage (documentation "Resizing persistent volumes", StorageDiff.java): a smaller
      // size or another class is reported as a warning in the status and ignored.
      if ((sizeOf(volume.size) ?? 0) < (sizeOf(old.size) ?? 0)) return `Strimzi does not shrink a Kafka volume (volume ${volume.id ?? 0}: ${old.size} → ${volume.size}): it reports the change and ignores it`;
      if (old.class !== volume.class) return `Strimzi does not move an existing Kafka volume to another storage class (volume ${volume.id ?? 0}: ${old.class} → ${volume.class}): it reports the change and ignores it; migrate through a new node pool`;
      if (old.type !== volume.type) return `Strimzi cannot turn volume ${volume.id ?? 0} from ${old.type} into ${volume.type} in place`;
    }
  }
  if (head.type === "kubernetes:kafka.strimzi.io/v1:KafkaNodePool" && (after.spec?.roles ?? []).includes("broker") && (after.spec?.replicas ?? 0) < (before.spec?.replicas ?? 0)) {
    // Strimzi's broker scale-down check (KafkaReconciler; documentation "Skipping checks on scale-down
    // operations"): brokers that still hold partition replicas are not removed, and the reconciliation fails.
    return `Strimzi refuses to remove brokers that still hold partition replicas (${before.spec.replicas} → ${after.spec.replicas}): move them off first (a KafkaRebalance with mode remove-brokers), then scale down`;
  }
  if (head.type === "kubernetes:kafka.strimzi.io/v1:KafkaTopic" && (after.spec?.partitions ?? 0) < (before.spec?.partitions ?? 0)) {
    return `Kafka cannot reduce a topic's partitions (${before.spec.partitions} → ${after.spec.partitions}); Strimzi's topic operator marks the KafkaTopic not ready`;
  }
  if (head.type === "kubernetes:postgresql.cnpg.io/v1:Cluster") {
    const major = (image: unknown) => Number(/:(\d+)/.exec(String(image ?? ""))?.[1]);
    const [was, now] = [major(before.spec?.imageName), major(after.spec?.imageName)];
    // cloudnative-pg api/v1/cluster_webhook.go (validateImageChange): a major version never goes down.
    if (now < was) return `CloudNativePG's webhook refuses a Postgres major downgrade (${was} → ${now})`;
  }
  if (head.type === "kubernetes:helm.sh/v3:Release" && head.inputs.chart === "kube-prometheus-stack") {
    const claim = (inputs: any) => get(inputs, "values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec");
    const [was, now] = [claim(before), claim(after)];
    // A StatefulSet's volumeClaimTemplates are immutable and a volume cannot shrink: prometheus-operator cannot
    // carry a smaller size or another class over to the existing volumes (its documentation, "Resizing volumes").
    if (was && now && (sizeOf(now.resources?.requests?.storage) ?? 0) < (sizeOf(was.resources?.requests?.storage) ?? 0)) return `Prometheus's volume cannot shrink (${was.resources.requests.storage} → ${now.resources.requests.storage}): prometheus-operator cannot apply it to the existing volumes`;
    if (was && now && was.storageClassName !== now.storageClassName) return `Prometheus's volumes cannot move to another storage class (${was.storageClassName} → ${now.storageClassName}) in place: the metrics history stays on the old volumes`;
  }
  if (head.type === "kubernetes:core/v1:PersistentVolumeClaim" && (sizeOf(get(after, "spec.resources.requests.storage")) ?? 0) < (sizeOf(get(before, "spec.resources.requests.storage")) ?? 0)) {
    return "the API server refuses shrinking a PersistentVolumeClaim";
  }
  // kubernetes/kubernetes pkg/apis/scheduling/validation/validation.go (ValidatePriorityClassUpdate): value and
  // preemptionPolicy are immutable; pulumi-kubernetes sends the change as an update, and up fails half-way.
  if (head.type === "kubernetes:scheduling.k8s.io/v1:PriorityClass") {
    for (const field of ["value", "preemptionPolicy"]) {
      if (before[field] !== after[field]) return `the API server refuses changing a PriorityClass's ${field} (${before[field]} → ${after[field]}); a new PriorityClass under another name, then moving the pods to it, is the way`;
    }
  }
  // kubernetes/kubernetes pkg/apis/storage/validation/validation.go (ValidateStorageClassUpdate): only parameters and
  // provisioner force a replacement (pulumi-kubernetes diff.go); reclaimPolicy and volumeBindingMode are refused.
  if (head.type === "kubernetes:storage.k8s.io/v1:StorageClass") {
    for (const field of ["reclaimPolicy", "volumeBindingMode"]) {
      if (before[field] !== after[field]) return `the API server refuses changing a StorageClass's ${field} (${before[field]} → ${after[field]}); create a StorageClass under another name`;
    }
  }
  // terraform-provider-aws internal/service/s3/bucket_versioning.go (CustomizeDiff): a bucket whose versioning was
  // ever enabled cannot go back to Disabled; the preview fails.
  if (head.type === "aws:s3/bucketVersioning:BucketVersioning" && before.versioningConfiguration?.status !== "Disabled" && after.versioningConfiguration?.status === "Disabled") {
    return "the AWS provider refuses versioning Disabled on a bucket that had it (only Suspended is possible), and the preview fails";
  }
  // EKS encrypts a cluster's Secrets with the key it was created with and offers no change of key
  // (AssociateEncryptionConfig only adds encryption to a cluster without it); the provider does not replace the
  // cluster for another key either. The old key keeps encrypting: replacing or deleting it makes them unreadable.
  if (head.type === "eks:index:Cluster" && before.encryptionConfigKeyArn && after.encryptionConfigKeyArn !== before.encryptionConfigKeyArn) {
    return "EKS never changes the key of a cluster's Secrets encryption: the old key keeps encrypting them, so replacing or deleting it makes them unreadable; keep the key";
  }
  return undefined;
}

const days = (value: unknown) => (typeof value === "number" ? value : typeof value === "string" && /^\d+d$/.test(value) ? Number(value.slice(0, -1)) : undefined);
const fewer = (was: unknown, now: unknown) => days(was) !== undefined && (days(now) === undefined || days(now)! < days(was)!);
const byId = (rules: any[] | undefined) => new Map((rules ?? []).map((rule) => [rule.id, rule]));

/**
 * Updates that weaken what protects data: each goes through as an ordinary update, so nothing else would stop it.
 * What each protects: README ("Backups survive a mistake"), docs/operations.md.
 */
function weakenedProtection(base: Side, head: Side): string | undefined {
  const [before, after] = [base.inputs, head.inputs];
  switch (head.type) {
    case "aws:s3/bucketVersioning:BucketVersioning":
      if (before.versioningConfiguration?.status === "Enabled" && after.versioningConfiguration?.status !== "Enabled") {
        return `versioning leaves Enabled (→ ${after.versioningConfiguration?.status}): overwritten and deleted objects are no longer kept`;
      }
      return undefined;
    case "aws:s3/bucket:Bucket":
      return !before.forceDestroy && after.forceDestroy ? "forceDestroy turns true: deleting the bucket then deletes every object in it" : undefined;
    case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
      const old = byId(before.rules);
      for (const rule of after.rules ?? []) {
        const was = old.get(rule.id)?.noncurrentVersionExpiration?.noncurrentDays;
        if (fewer(was, rule.noncurrentVersionExpiration?.noncurrentDays)) return `rule ${rule.id} keeps old versions for less (${was} → ${rule.noncurrentVersionExpiration?.noncurrentDays ?? "not at all"} days)`;
      }
      return undefined;
    }
    case "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": {
      const [was, now] = [before.rule?.defaultRetention?.days, after.rule?.defaultRetention?.days];
      return fewer(was, now) ? `Object Lock keeps versions for less (${was} → ${now ?? "none"} days)` : undefined;
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return fewer(before.retentionInDays, after.retentionInDays) ? `retention shortened (${before.retentionInDays} → ${after.retentionInDays ?? "unset"} days): older events are deleted` : undefined;
    case "eks:index:Cluster":
      return before.deletionProtection && !after.deletionProtection ? "deletionProtection turns false: the cluster can then be deleted" : undefined;
    case "kubernetes:barmancloud.cnpg.io/v1:ObjectStore":
      return fewer(before.spec?.retentionPolicy, after.spec?.retentionPolicy) ? `backups kept for less (${before.spec?.retentionPolicy} → ${after.spec?.retentionPolicy ?? "forever"})` : undefined;
    case "kubernetes:storage.k8s.io/v1:StorageClass":
      return before.reclaimPolicy === "Retain" && after.reclaimPolicy !== "Retain" ? `reclaimPolicy leaves Retain (→ ${after.reclaimPolicy ?? "Delete"}): a deleted claim's volume would be deleted` : undefined;
    case "kubernetes:kafka.strimzi.io/v1:KafkaNodePool": {
      const was = new Map(poolVolumes(before).map((volume: any) => [volume.id ?? 0, volume]));
      const volume = poolVolumes(after).find((v: any) => v.deleteClaim === true && (was.get(v.id ?? 0) as any)?.deleteClaim !== true);
      return volume ? `deleteClaim turns true on volume ${volume.id ?? 0}: deleting the pool then deletes the brokers' data` : undefined;
    }
    default:
      return undefined;
  }
}

const minor = (version: unknown) => (typeof version === "string" && /^1\.\d+$/.test(version) ? Number(version.split(".")[1]) : undefined);

/**
 * The EKS rules for version changes: up one minor at a time (UpdateClusterVersion); back by one minor only within
 * 7 days after an in-place upgrade completes, the control plane alone, so managed node groups and add-ons must go
 * back first (a node newer than the control plane is an unsupported skew): EKS User Guide, "Roll back a cluster to
 * a previous Kubernetes version", and EKS Best Practices, "Cluster Version Rollback". Offline, the diff cannot
 * know when the upgrade completed, so a step back stays danger, with that window named.
 */
function versionStep(base: Side, head: Side): { risk: Risk; reason: string } | undefined {
  if (head.type !== "eks:index:Cluster") return undefined;
  const [was, now] = [minor(base.inputs.version), minor(head.inputs.version)];
  if (was === undefined || now === undefined || was === now) return undefined;
  if (was - now === 1) return { risk: "danger", reason: `a Kubernetes rollback (${base.inputs.version} → ${head.inputs.version}): EKS rolls a control plane back one minor only within 7 days after the upgrade completed, and the node groups and add-ons must go back first (a node newer than the control plane is an unsupported skew); later it is refused` };
  if (now < was) return { risk: "danger", reason: `a Kubernetes downgrade of ${was - now} minors (${base.inputs.version} → ${head.inputs.version}): EKS rolls back one minor at most (within 7 days of the upgrade), so this is refused` };
  if (now - was > 1) return { risk: "danger", reason: `a Kubernetes step of ${now - was} minors (${base.inputs.version} → ${head.inputs.version}): EKS upgrades one minor at a time; go through each version` };
  return { risk: "caution", reason: `Kubernetes ${base.inputs.version} → ${head.inputs.version}: upgrade the node groups and add-ons after the control plane; within 7 days EKS can roll the control plane back one minor (node groups and add-ons first)` };
}

export interface Assessment {
  risk: Risk;
  reason: string;
}

/** The risk of one change and why; `cascadeFrom` names what a cascaded replacement follows. */
export function assess(action: Action, base: Side | undefined, head: Side | undefined, cascadeFrom?: string): Assessment {
  const side = (head ?? base)!;
  if (action === "create") return { risk: "safe", reason: "new" };
  if (action === "delete" || action === "replace") {
    const verb = action === "delete" ? "deleted" : cascadeFrom ? `replaced because ${cascadeFrom}` : "replaced";
    const data = holdsData(side);
    if (data) return { risk: "danger", reason: `${verb}: ${data}` };
    if (base?.protect || head?.protect) return { risk: "danger", reason: `${verb}, but it is protected: Pulumi refuses until protect is lifted on purpose` };
    // The Grafana sidecar reloads a dashboard's ConfigMap whenever it changes; the provider replaces ConfigMaps
    // on any data change (pulumi-kubernetes, ConfigMaps immutable unless enableConfigMapMutable): nothing reads it.
    if (action === "replace" && side.type === "kubernetes:core/v1:ConfigMap" && side.inputs?.metadata?.labels?.grafana_dashboard === "1") {
      return { risk: "safe", reason: `${verb}: a Grafana dashboard, which the sidecar reloads` };
    }
    // A named object is deleted before its replacement is created (the names would clash): a streaming
    // consumer's group has no member in between, and its lag grows.
    if (action === "replace" && side.type === "kubernetes:apps/v1:Deployment") {
      return { risk: "caution", reason: `${verb}: its pods stop before the new Deployment's start, an outage of the consumer group (its lag grows meanwhile)` };
    }
    return { risk: "caution", reason: `${verb} (it holds no data)` };
  }
  const refused = refusedUpdate(base!, head!);
  if (refused) return { risk: "danger", reason: refused };
  const weakened = weakenedProtection(base!, head!);
  if (weakened) return { risk: "danger", reason: `protection weakened: ${weakened}` };
  const version = versionStep(base!, head!);
  if (version) return version;
  const promStorage = (inputs: any) => sizeOf(get(inputs, "values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage"));
  if (head!.type === "kubernetes:helm.sh/v3:Release" && head!.inputs.chart === "kube-prometheus-stack" && (promStorage(head!.inputs) ?? 0) > (promStorage(base!.inputs) ?? Infinity)) {
    // prometheus-operator Documentation/platform/storage.md ("Resizing volumes"): the operator does not resize the
    // existing claims of the StatefulSet; the new size applies to new pods' claims only.
    return { risk: "caution", reason: "Prometheus's volume grows: prometheus-operator does not resize the existing claims; grow each PVC by hand (its \"Resizing volumes\" procedure), the new size otherwise only reaches new claims" };
  }
  // Karpenter v1.14 concepts/disruption.md, "Drift": a change of an EC2NodeClass's spec, or of a NodePool's template,
  // marks every node launched from it drifted, and Karpenter replaces them all (within the disruption budgets; running
  // batches keep their do-not-disrupt annotation until their deadline).
  if (head!.type === "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass" && JSON.stringify(base!.inputs.spec) !== JSON.stringify(head!.inputs.spec)) {
    return { risk: "caution", reason: "the EC2NodeClass changes: every node of its NodePool drifts and is replaced (AMI, volumes, metadata options)" };
  }
  if (head!.type === "kubernetes:karpenter.sh/v1:NodePool" && JSON.stringify(base!.inputs.spec?.template) !== JSON.stringify(head!.inputs.spec?.template)) {
    return { risk: "caution", reason: "the NodePool's template changes: its nodes drift and are replaced, within its disruption budget" };
  }
  if (head!.type === "kubernetes:yaml/v2:ConfigGroup") {
    return { risk: "caution", reason: `applies other manifests (${(head!.inputs.files ?? []).join(", ")}): check the CRDs they change, as for a chart bump` };
  }
  const postgresMajor = (inputs: any) => Number(/:(\d+)/.exec(String(inputs.spec?.imageName ?? ""))?.[1]);
  if (head!.type === "kubernetes:postgresql.cnpg.io/v1:Cluster" && postgresMajor(head!.inputs) > postgresMajor(base!.inputs)) {
    return { risk: "caution", reason: `a Postgres major upgrade (${postgresMajor(base!.inputs)} → ${postgresMajor(head!.inputs)}): CloudNativePG upgrades in place offline (pg_upgrade), so the cluster is down meanwhile; take a backup first` };
  }
  return { risk: "safe", reason: cascadeFrom ? `updated because ${cascadeFrom}` : "updated in place" };
}

/**
 * The diff's risk rules (diff/risk.ts) one case at a time, each with its exact verdict: the edges the scenario
 * suite (diff.test.ts) does not reach, such as a side without the field, a field of another type, a value at the
 * boundary. Each row is a fact of its source, cited in risk.ts.
 */
import { assess, type Action, type Assessment, type Side } from "../diff/risk";

const side = (type: string, inputs: Record<string, any>, protect = false): Side => ({ type, name: "x", inputs, protect });
const update = (type: string, before: Record<string, any>, after: Record<string, any>) => assess("update", side(type, before), side(type, after));
const SAFE: Assessment = { risk: "safe", reason: "updated in place" };

const POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool";
const TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic";
const PG = "kubernetes:postgresql.cnpg.io/v1:Cluster";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";
const STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass";
const jbod = (...volumes: Record<string, any>[]) => ({ spec: { storage: { type: "jbod", volumes } } });

describe("what a delete, replace or create risks", () => {
  it.each<[string, Action, Side | undefined, Side | undefined, string | undefined, Assessment]>([
    ["a create", "create", undefined, side("kubernetes:core/v1:ConfigMap", {}), undefined, { risk: "safe", reason: "new" }],
    ["a stateless delete", "delete", side("kubernetes:core/v1:ConfigMap", {}), undefined, undefined, { risk: "caution", reason: "deleted (it holds no data)" }],
    ["a protected delete", "delete", side("kubernetes:core/v1:ConfigMap", {}, true), undefined, undefined, { risk: "danger", reason: "deleted, but it is protected: Pulumi refuses until protect is lifted on purpose" }],
    ["a replace protected on the head only", "replace", side("kubernetes:core/v1:ConfigMap", {}), side("kubernetes:core/v1:ConfigMap", {}, true), undefined, { risk: "danger", reason: "replaced, but it is protected: Pulumi refuses until protect is lifted on purpose" }],
    ["a cascaded replace", "replace", side("kubernetes:core/v1:ServiceAccount", {}), side("kubernetes:core/v1:ServiceAccount", {}), "its provider is replaced", { risk: "caution", reason: "replaced because its provider is replaced (it holds no data)" }],
    ["a dashboard's ConfigMap", "replace", side("kubernetes:core/v1:ConfigMap", {}), side("kubernetes:core/v1:ConfigMap", { metadata: { labels: { grafana_dashboard: "1" } } }), undefined, { risk: "safe", reason: "replaced: a Grafana dashboard, which the sidecar reloads" }],
    ["a ConfigMap labelled otherwise", "replace", side("kubernetes:core/v1:ConfigMap", {}), side("kubernetes:core/v1:ConfigMap", { metadata: { labels: { grafana_dashboard: "0" } } }), undefined, { risk: "caution", reason: "replaced (it holds no data)" }],
    ["a dashboard's ConfigMap deleted", "delete", side("kubernetes:core/v1:ConfigMap", { metadata: { labels: { grafana_dashboard: "1" } } }), undefined, undefined, { risk: "caution", reason: "deleted (it holds no data)" }],
    ["a stateful node group", "replace", side("aws:eks/nodeGroup:NodeGroup", { labels: { "etl-platform/pool": "stateful" } }), side("aws:eks/nodeGroup:NodeGroup", { labels: { "etl-platform/pool": "stateful" } }), undefined, { risk: "danger", reason: "replaced: a stateful node pool: Kafka and Postgres pods are evicted together, and a pool in another zone cannot take their volumes" }],
    ["a node group without labels", "replace", side("aws:eks/nodeGroup:NodeGroup", {}), side("aws:eks/nodeGroup:NodeGroup", {}), undefined, { risk: "caution", reason: "replaced (it holds no data)" }],
  ])("%s", (_why, action, base, head, cascade, expected) => {
    expect(assess(action, base, head, cascade)).toEqual(expected);
  });
});

describe("updates an operator, the API server or AWS refuses", () => {
  it.each<[string, string, Record<string, any>, Record<string, any>, Assessment]>([
    ["nothing changes", "kubernetes:core/v1:ConfigMap", { data: { a: "1" } }, { data: { a: "1" } }, SAFE],
    // Strimzi: a single (non-JBOD) storage is volume 0.
    ["a single Kafka volume shrinks", POOL, { spec: { storage: { type: "persistent-claim", size: "100Gi" } } }, { spec: { storage: { type: "persistent-claim", size: "50Gi" } } },
      { risk: "danger", reason: "Strimzi does not shrink a Kafka volume (volume 0: 100Gi → 50Gi): it reports the change and ignores it" }],
    ["a JBOD volume changes class", POOL, jbod({ id: 2, size: "1Gi", class: "gp3", type: "persistent-claim" }), jbod({ id: 2, size: "1Gi", class: "io2", type: "persistent-claim" }),
      { risk: "danger", reason: "Strimzi does not move an existing Kafka volume to another storage class (volume 2: gp3 → io2): it reports the change and ignores it; migrate through a new node pool" }],
    ["a JBOD volume changes type", POOL, jbod({ id: 1, size: "1Gi", type: "persistent-claim" }), jbod({ id: 1, size: "1Gi", type: "ephemeral" }),
      { risk: "danger", reason: "Strimzi cannot turn volume 1 from persistent-claim into ephemeral in place" }],
    ["a JBOD volume added", POOL, jbod({ id: 0, size: "1Gi", type: "persistent-claim" }), jbod({ id: 0, size: "1Gi", type: "persistent-claim" }, { id: 1, size: "1Gi", type: "persistent-claim" }), SAFE],
    ["a pool without storage gets some", POOL, { spec: {} }, { spec: { storage: { type: "persistent-claim", size: "1Gi" } } }, SAFE],
    ["a JBOD without volumes", POOL, { spec: { storage: { type: "jbod" } } }, { spec: { storage: { type: "jbod" } } }, SAFE],
    ["brokers removed", POOL, { spec: { roles: ["broker"], replicas: 5 } }, { spec: { roles: ["broker"], replicas: 3 } },
      { risk: "danger", reason: "Strimzi refuses to remove brokers that still hold partition replicas (5 → 3): move them off first (a KafkaRebalance with mode remove-brokers), then scale down" }],
    ["controllers removed (not brokers)", POOL, { spec: { roles: ["controller"], replicas: 5 } }, { spec: { roles: ["controller"], replicas: 3 } }, SAFE],
    ["a pool without roles", POOL, { spec: { replicas: 5 } }, { spec: { replicas: 3 } }, SAFE],
    ["partitions reduced", TOPIC, { spec: { partitions: 12 } }, { spec: { partitions: 6 } },
      { risk: "danger", reason: "Kafka cannot reduce a topic's partitions (12 → 6); Strimzi's topic operator marks the KafkaTopic not ready" }],
    ["partitions unchanged", TOPIC, { spec: { partitions: 6 } }, { spec: { partitions: 6 } }, SAFE],
    ["a topic given a spec", TOPIC, {}, { spec: { partitions: 6 } }, SAFE],
    ["fewer of something else's partitions", "kubernetes:kafka.strimzi.io/v1:KafkaUser", { spec: { partitions: 12 } }, { spec: { partitions: 6 } }, SAFE],
    ["Postgres storage class", PG, { spec: { storage: { storageClass: "gp3", size: "10Gi" } } }, { spec: { storage: { storageClass: "io2", size: "10Gi" } } },
      { risk: "danger", reason: "CloudNativePG's webhook refuses changing spec.storage.storageClass (gp3 → io2) of an existing cluster; create a new cluster from a backup" }],
    ["Postgres WAL storage shrinks", PG, { spec: { walStorage: { size: "10Gi" } } }, { spec: { walStorage: { size: "5Gi" } } },
      { risk: "danger", reason: "CloudNativePG's webhook refuses shrinking spec.walStorage.size (10Gi → 5Gi): a volume cannot shrink" }],
    ["Postgres WAL storage removed", PG, { spec: { walStorage: { size: "10Gi" } } }, { spec: {} },
      { risk: "danger", reason: "CloudNativePG's webhook refuses shrinking spec.walStorage.size (10Gi → undefined): a volume cannot shrink" }],
    ["Postgres WAL storage removed without a size", PG, { spec: { walStorage: {} } }, { spec: {} },
      { risk: "danger", reason: "CloudNativePG's webhook refuses removing spec.walStorage from an existing cluster" }],
    ["Postgres storage on a cluster without spec", PG, {}, { spec: { storage: { size: "10Gi" } } }, SAFE],
    ["Postgres major down", PG, { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:17.6" } }, { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:16.9" } },
      { risk: "danger", reason: "CloudNativePG's webhook refuses a Postgres major downgrade (17 → 16)" }],
    ["Postgres major up", PG, { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:16.9" } }, { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:17.6" } },
      { risk: "caution", reason: "a Postgres major upgrade (16 → 17): CloudNativePG upgrades in place offline (pg_upgrade), so the cluster is down meanwhile; take a backup first" }],
    ["Postgres given an image", PG, { spec: {} }, { spec: { imageName: "ghcr.io/cloudnative-pg/postgresql:17.6" } }, SAFE],
    ["a PVC shrinks", "kubernetes:core/v1:PersistentVolumeClaim", { spec: { resources: { requests: { storage: "10Gi" } } } }, { spec: { resources: { requests: { storage: "5Gi" } } } },
      { risk: "danger", reason: "the API server refuses shrinking a PersistentVolumeClaim" }],
    ["a PVC keeps its size", "kubernetes:core/v1:PersistentVolumeClaim", { spec: { resources: { requests: { storage: "10Gi" } } } }, { spec: { resources: { requests: { storage: "10Gi" } } } }, SAFE],
    ["a PVC without a spec", "kubernetes:core/v1:PersistentVolumeClaim", {}, { spec: { resources: { requests: { storage: "10Gi" } } } }, SAFE],
    ["a PriorityClass's preemption policy", "kubernetes:scheduling.k8s.io/v1:PriorityClass", { value: 1, preemptionPolicy: "Never" }, { value: 1, preemptionPolicy: "PreemptLowerPriority" },
      { risk: "danger", reason: "the API server refuses changing a PriorityClass's preemptionPolicy (Never → PreemptLowerPriority); a new PriorityClass under another name, then moving the pods to it, is the way" }],
    ["a PriorityClass's description", "kubernetes:scheduling.k8s.io/v1:PriorityClass", { value: 1, description: "a" }, { value: 1, description: "b" }, SAFE],
    ["a StorageClass's binding mode", STORAGE_CLASS, { volumeBindingMode: "Immediate" }, { volumeBindingMode: "WaitForFirstConsumer" },
      { risk: "danger", reason: "the API server refuses changing a StorageClass's volumeBindingMode (Immediate → WaitForFirstConsumer); create a StorageClass under another name" }],
    ["a StorageClass's expansion flag", STORAGE_CLASS, { allowVolumeExpansion: false }, { allowVolumeExpansion: true }, SAFE],
    ["versioning Suspended → Disabled", VERSIONING, { versioningConfiguration: { status: "Suspended" } }, { versioningConfiguration: { status: "Disabled" } },
      { risk: "danger", reason: "the AWS provider refuses versioning Disabled on a bucket that had it (only Suspended is possible), and the preview fails" }],
    ["versioning stays Disabled", VERSIONING, { versioningConfiguration: { status: "Disabled" }, mfa: "a" }, { versioningConfiguration: { status: "Disabled" }, mfa: "b" }, SAFE],
    ["versioning configured for the first time", VERSIONING, {}, { versioningConfiguration: { status: "Enabled" } }, SAFE],
    ["versioning Suspended → Enabled", VERSIONING, { versioningConfiguration: { status: "Suspended" } }, { versioningConfiguration: { status: "Enabled" } }, SAFE],
    ["another key of a cluster's secrets", "eks:index:Cluster", { encryptionConfigKeyArn: "arn:a" }, { encryptionConfigKeyArn: "arn:b" },
      { risk: "danger", reason: "EKS never changes the key of a cluster's Secrets encryption: the old key keeps encrypting them, so replacing or deleting it makes them unreadable; keep the key" }],
    ["a key given to a cluster without one", "eks:index:Cluster", {}, { encryptionConfigKeyArn: "arn:b" }, SAFE],
    ["a key ARN on something else", "aws:eks/addon:Addon", { encryptionConfigKeyArn: "arn:a" }, { encryptionConfigKeyArn: "arn:b" }, SAFE],
    ["Prometheus's volume shrinks", "kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: promVolume("50Gi", "gp3") }, { chart: "kube-prometheus-stack", values: promVolume("20Gi", "gp3") },
      { risk: "danger", reason: "Prometheus's volume cannot shrink (50Gi → 20Gi): prometheus-operator cannot apply it to the existing volumes" }],
    ["Prometheus's volume changes class", "kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: promVolume("50Gi", "gp3") }, { chart: "kube-prometheus-stack", values: promVolume("50Gi", "io2") },
      { risk: "danger", reason: "Prometheus's volumes cannot move to another storage class (gp3 → io2) in place: the metrics history stays on the old volumes" }],
    ["Prometheus's volume grows", "kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: promVolume("50Gi", "gp3") }, { chart: "kube-prometheus-stack", values: promVolume("80Gi", "gp3") },
      { risk: "caution", reason: "Prometheus's volume grows: prometheus-operator does not resize the existing claims; grow each PVC by hand (its \"Resizing volumes\" procedure), the new size otherwise only reaches new claims" }],
    ["Prometheus's volume given for the first time", "kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: {} }, { chart: "kube-prometheus-stack", values: promVolume("80Gi", "gp3") }, SAFE],
    ["another chart's volume shrinks", "kubernetes:helm.sh/v3:Release", { chart: "other", values: promVolume("50Gi", "gp3") }, { chart: "other", values: promVolume("20Gi", "io2") }, SAFE],
    ["a ConfigGroup's files", "kubernetes:yaml/v2:ConfigGroup", { files: ["a.yaml"] }, { files: ["a.yaml", "b.yaml"] },
      { risk: "caution", reason: "applies other manifests (a.yaml, b.yaml): check the CRDs they change, as for a chart bump" }],
    ["a ConfigGroup without files", "kubernetes:yaml/v2:ConfigGroup", { yaml: "a" }, { yaml: "b" }, { risk: "caution", reason: "applies other manifests (): check the CRDs they change, as for a chart bump" }],
  ])("%s", (_why, type, before, after, expected) => {
    expect(update(type, before, after)).toEqual(expected);
  });

  it("says why a cascaded update happens", () => {
    expect(assess("update", side("kubernetes:core/v1:ConfigMap", {}), side("kubernetes:core/v1:ConfigMap", {}), "the VPC is replaced")).toEqual({ risk: "safe", reason: "updated because the VPC is replaced" });
  });
});

function promVolume(size: string, storageClassName: string) {
  return { prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { storageClassName, resources: { requests: { storage: size } } } } } } } };
}

describe("weakened protection", () => {
  it.each<[string, string, Record<string, any>, Record<string, any>, Assessment]>([
    ["versioning Enabled → Suspended", VERSIONING, { versioningConfiguration: { status: "Enabled" } }, { versioningConfiguration: { status: "Suspended" } },
      { risk: "danger", reason: "protection weakened: versioning leaves Enabled (→ Suspended): overwritten and deleted objects are no longer kept" }],
    ["versioning configuration removed", VERSIONING, { versioningConfiguration: { status: "Enabled" } }, {},
      { risk: "danger", reason: "protection weakened: versioning leaves Enabled (→ undefined): overwritten and deleted objects are no longer kept" }],
    ["versioning stays Enabled", VERSIONING, { versioningConfiguration: { status: "Enabled" }, mfa: "a" }, { versioningConfiguration: { status: "Enabled" }, mfa: "b" }, SAFE],
    ["versioning without a configuration before", VERSIONING, {}, { versioningConfiguration: { status: "Suspended" } }, SAFE],
    ["forceDestroy on", "aws:s3/bucket:Bucket", {}, { forceDestroy: true }, { risk: "danger", reason: "protection weakened: forceDestroy turns true: deleting the bucket then deletes every object in it" }],
    ["forceDestroy stays on", "aws:s3/bucket:Bucket", { forceDestroy: true, tags: { a: "1" } }, { forceDestroy: true, tags: { a: "2" } }, SAFE],
    ["forceDestroy off", "aws:s3/bucket:Bucket", { forceDestroy: true }, { forceDestroy: false }, SAFE],
    ["noncurrent versions kept for less", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      { rules: [{ id: "old", noncurrentVersionExpiration: { noncurrentDays: 30 } }] }, { rules: [{ id: "old", noncurrentVersionExpiration: { noncurrentDays: 7 } }] },
      { risk: "danger", reason: "protection weakened: rule old keeps old versions for less (30 → 7 days)" }],
    ["noncurrent expiry removed from a rule", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      { rules: [{ id: "old", noncurrentVersionExpiration: { noncurrentDays: 30 } }] }, { rules: [{ id: "old" }] },
      { risk: "danger", reason: "protection weakened: rule old keeps old versions for less (30 → not at all days)" }],
    ["noncurrent versions kept as long", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      { rules: [{ id: "old", noncurrentVersionExpiration: { noncurrentDays: 30 } }] }, { rules: [{ id: "old", noncurrentVersionExpiration: { noncurrentDays: 30 }, status: "Enabled" }] }, SAFE],
    ["a new lifecycle rule", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", { rules: [{ id: "old" }] }, { rules: [{ id: "old" }, { id: "new", noncurrentVersionExpiration: { noncurrentDays: 1 } }] }, SAFE],
    ["lifecycle rules removed", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", { rules: [{ id: "old", noncurrentVersionExpiration: { noncurrentDays: 30 } }] }, {}, SAFE],
    ["Object Lock kept for less", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { rule: { defaultRetention: { days: 30 } } }, { rule: { defaultRetention: { days: 7 } } },
      { risk: "danger", reason: "protection weakened: Object Lock keeps versions for less (30 → 7 days)" }],
    ["Object Lock retention removed", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { rule: { defaultRetention: { days: 30 } } }, { rule: {} },
      { risk: "danger", reason: "protection weakened: Object Lock keeps versions for less (30 → none days)" }],
    ["Object Lock rule given", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", {}, { rule: { defaultRetention: { days: 7 } } }, SAFE],
    ["Object Lock rule without retention", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { rule: {} }, { rule: { defaultRetention: { days: 7 } } }, SAFE],
    ["log retention shortened", "aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 90 }, { retentionInDays: 30 },
      { risk: "danger", reason: "protection weakened: retention shortened (90 → 30 days): older events are deleted" }],
    ["log retention unset (kept forever)", "aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 90 }, {},
      { risk: "danger", reason: "protection weakened: retention shortened (90 → unset days): older events are deleted" }],
    ["log retention set where it was unset", "aws:cloudwatch/logGroup:LogGroup", {}, { retentionInDays: 30 }, SAFE],
    ["log retention longer", "aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }, { retentionInDays: 90 }, SAFE],
    ["deletion protection off", "eks:index:Cluster", { deletionProtection: true }, { deletionProtection: false },
      { risk: "danger", reason: "protection weakened: deletionProtection turns false: the cluster can then be deleted" }],
    ["backups kept for less", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "30d" } }, { spec: { retentionPolicy: "7d" } },
      { risk: "danger", reason: "protection weakened: backups kept for less (30d → 7d)" }],
    ["backup retention removed", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "30d" } }, { spec: {} },
      { risk: "danger", reason: "protection weakened: backups kept for less (30d → forever)" }],
    ["backups kept as long", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "30d", a: 1 } }, { spec: { retentionPolicy: "30d", a: 2 } }, SAFE],
    ["backups kept for longer", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "7d" } }, { spec: { retentionPolicy: "30d" } }, SAFE],
    ["an ObjectStore given a spec", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", {}, { spec: { retentionPolicy: "7d" } }, SAFE],
    ["a retention in weeks is not read as days", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "4w" } }, { spec: { retentionPolicy: "7d" } }, SAFE],
    ["a retention with trailing text is not read as days", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "30dx" } }, { spec: { retentionPolicy: "7d" } }, SAFE],
    ["a retention with leading text is not read as days", "kubernetes:barmancloud.cnpg.io/v1:ObjectStore", { spec: { retentionPolicy: "x30d" } }, { spec: { retentionPolicy: "7d" } }, SAFE],
    ["reclaimPolicy leaves Retain", STORAGE_CLASS, { reclaimPolicy: "Retain" }, { reclaimPolicy: "Delete" },
      { risk: "danger", reason: "the API server refuses changing a StorageClass's reclaimPolicy (Retain → Delete); create a StorageClass under another name" }],
    ["deleteClaim on a single volume", POOL, { spec: { storage: { type: "persistent-claim", size: "1Gi" } } }, { spec: { storage: { type: "persistent-claim", size: "1Gi", deleteClaim: true } } },
      { risk: "danger", reason: "protection weakened: deleteClaim turns true on volume 0: deleting the pool then deletes the brokers' data" }],
    ["deleteClaim on a new JBOD volume", POOL, jbod({ id: 0, size: "1Gi", type: "persistent-claim" }), jbod({ id: 0, size: "1Gi", type: "persistent-claim" }, { id: 3, size: "1Gi", type: "persistent-claim", deleteClaim: true }),
      { risk: "danger", reason: "protection weakened: deleteClaim turns true on volume 3: deleting the pool then deletes the brokers' data" }],
    ["deleteClaim already on", POOL, jbod({ id: 4, size: "1Gi", type: "persistent-claim", deleteClaim: true }), jbod({ id: 4, size: "2Gi", type: "persistent-claim", deleteClaim: true }), SAFE],
  ])("%s", (_why, type, before, after, expected) => {
    expect(update(type, before, after)).toEqual(expected);
  });

  it("a StorageClass's reclaimPolicy that was not Retain weakens nothing (the API server still refuses the change)", () => {
    // weakenedProtection is not reached for a refused update, so check the rule on its own terms: unset → Retain is refused too.
    expect(update(STORAGE_CLASS, {}, { reclaimPolicy: "Retain" }).reason).toBe("the API server refuses changing a StorageClass's reclaimPolicy (undefined → Retain); create a StorageClass under another name");
  });
});

describe("Kubernetes version steps", () => {
  const cluster = (version: unknown) => side("eks:index:Cluster", { version });
  it.each<[unknown, unknown, Assessment]>([
    ["1.34", "1.35", { risk: "caution", reason: "Kubernetes 1.34 → 1.35: upgrade the node groups and add-ons after the control plane; within 7 days EKS can roll the control plane back one minor (node groups and add-ons first)" }],
    ["1.33", "1.35", { risk: "danger", reason: "a Kubernetes step of 2 minors (1.33 → 1.35): EKS upgrades one minor at a time; go through each version" }],
    ["1.35", "1.34", { risk: "danger", reason: "a Kubernetes rollback (1.35 → 1.34): EKS rolls a control plane back one minor only within 7 days after the upgrade completed, and the node groups and add-ons must go back first (a node newer than the control plane is an unsupported skew); later it is refused" }],
    ["1.35", "1.32", { risk: "danger", reason: "a Kubernetes downgrade of 3 minors (1.35 → 1.32): EKS rolls back one minor at most (within 7 days of the upgrade), so this is refused" }],
    ["1.34", "1.34", SAFE],
    [undefined, "1.35", SAFE],
    ["1.34", undefined, SAFE],
    ["1.34", "1.35.1", SAFE],
    ["v1.34", "1.35", SAFE],
    [134, "1.35", SAFE],
  ])("%s → %s", (was, now, expected) => {
    expect(assess("update", cluster(was), cluster(now))).toEqual(expected);
  });
});

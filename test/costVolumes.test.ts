/**
 * The persistent volumes the estimate prices (cost/volumes.ts), read from planned resources the way the operators
 * and charts claim them: Strimzi's KafkaNodePool storage (one persistent-claim, or jbod with a list, ephemeral
 * volumes claiming nothing: api/src/main/java/io/strimzi/api/kafka/model/kafka/JbodStorage.java), CloudNativePG's
 * storage and walStorage per instance, kube-prometheus-stack's volumeClaimTemplates (no storage spec: an emptyDir),
 * and plain PersistentVolumeClaims and StatefulSets; each is an EBS volume of its StorageClass's type.
 */
import { PriceError } from "../cost/prices";
import { volumeLines } from "../cost/volumes";
import type { PlannedResource } from "../cost/plannedResource";

const GP3 = 0.08;
const resource = (type: string, name: string, inputs: Record<string, any>): PlannedResource => ({ type, name, inputs });
const kafkaPool = (name: string, spec: Record<string, unknown>) => resource("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", name, { metadata: { name }, spec });
const claimTemplate = (size: string, storageClassName?: string, name?: string) => ({ metadata: name ? { name } : {}, spec: { storageClassName, resources: { requests: { storage: size } } } });
const storageClass = (name: string, type?: string, isDefault = false) => resource("kubernetes:storage.k8s.io/v1:StorageClass", name, {
  metadata: { name, ...(isDefault ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}) },
  ...(type ? { parameters: { type } } : {}),
});
/** Each line as id, item, quantity (GB-month) and monthly price, the fields a reader checks. */
const summary = (resources: PlannedResource[]) => volumeLines(resources, GP3).map((line) => [line.id, line.item, line.quantity, line.monthly]);

describe("the volumes of the operators and charts", () => {
  it("prices every persistent-claim volume of a KafkaNodePool per replica, jbod or not, and no ephemeral one", () => {
    const lines = volumeLines([
      kafkaPool("brokers", { replicas: 3, storage: { type: "jbod", volumes: [{ id: 0, type: "persistent-claim", size: "100Gi" }, { id: 1, type: "persistent-claim", size: "50Gi", class: "gp3" }, { id: 2, type: "ephemeral" }] } }),
      kafkaPool("controllers", { replicas: 3, storage: { type: "persistent-claim", size: "10Gi" } }),
      kafkaPool("scratch", { replicas: 2, storage: { type: "ephemeral" } }),
      kafkaPool("unscaled", { storage: { type: "persistent-claim", size: "10Gi" } }),
      kafkaPool("empty", { replicas: 1, storage: { type: "jbod" } }),
    ], GP3);
    expect(lines.map((line) => [line.id, line.item, line.quantity, line.unit, line.unitPrice, line.monthly, line.basis, line.component])).toEqual([
      ["volumes/KafkaNodePool brokers/volume 0", "KafkaNodePool brokers, volume 0: 3 × 100Gi gp3", 300, "GB-month", GP3, 24, "fixed", "storage"],
      ["volumes/KafkaNodePool brokers/volume 1", "KafkaNodePool brokers, volume 1: 3 × 50Gi gp3", 150, "GB-month", GP3, 12, "fixed", "storage"],
      // A single claim has no id: Strimzi numbers it 0.
      ["volumes/KafkaNodePool controllers/volume 0", "KafkaNodePool controllers, volume 0: 3 × 10Gi gp3", 30, "GB-month", GP3, 2.4, "fixed", "storage"],
      // No replicas yet: nothing runs, nothing is claimed.
      ["volumes/KafkaNodePool unscaled/volume 0", "KafkaNodePool unscaled, volume 0: 0 × 10Gi gp3", 0, "GB-month", GP3, 0, "fixed", "storage"],
    ]);
  });

  it("prices a CloudNativePG cluster's data and WAL volumes per instance, one instance when unset", () => {
    const cluster = (name: string, spec: Record<string, unknown>) => resource("kubernetes:postgresql.cnpg.io/v1:Cluster", name, { metadata: { name }, spec });
    expect(summary([
      cluster("etl", { instances: 3, storage: { size: "200Gi" }, walStorage: { size: "50Gi" } }),
      cluster("single", { storage: { size: "10Gi" } }),
      cluster("nothing", { instances: 2 }),
    ])).toEqual([
      ["volumes/CloudNativePG Cluster etl/data", "CloudNativePG Cluster etl, data: 3 × 200Gi gp3", 600, 48],
      ["volumes/CloudNativePG Cluster etl/WAL", "CloudNativePG Cluster etl, WAL: 3 × 50Gi gp3", 150, 12],
      ["volumes/CloudNativePG Cluster single/data", "CloudNativePG Cluster single, data: 1 × 10Gi gp3", 10, 0.8],
    ]);
  });

  it("prices kube-prometheus-stack's Prometheus and Alertmanager claims, and nothing of a release without a storage spec", () => {
    const release = (chart: string, values: Record<string, unknown>) => resource("kubernetes:helm.sh/v3:Release", chart, { chart, values });
    expect(summary([
      release("kube-prometheus-stack", {
        prometheus: { prometheusSpec: { replicas: 2, storageSpec: { volumeClaimTemplate: claimTemplate("100Gi") } } },
        alertmanager: { alertmanagerSpec: { storage: { volumeClaimTemplate: claimTemplate("5Gi") } } },
      }),
      release("other-chart", { prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: claimTemplate("1Ti") } } } }),
    ])).toEqual([
      ["volumes/kube-prometheus-stack/Prometheus", "kube-prometheus-stack, Prometheus: 2 × 100Gi gp3", 200, 16],
      ["volumes/kube-prometheus-stack/Alertmanager", "kube-prometheus-stack, Alertmanager: 1 × 5Gi gp3", 5, 0.4],
    ]);
    expect(summary([release("kube-prometheus-stack", {}), release("kube-prometheus-stack", { prometheus: { prometheusSpec: { replicas: 2 } } })])).toEqual([]);
  });

  it("prices plain claims and each StatefulSet's claim templates per replica", () => {
    expect(summary([
      resource("kubernetes:core/v1:PersistentVolumeClaim", "scratch", { metadata: { name: "scratch" }, spec: { resources: { requests: { storage: "1536Mi" } } } }),
      resource("kubernetes:core/v1:PersistentVolumeClaim", "unsized", { metadata: { name: "unsized" }, spec: {} }),
      resource("kubernetes:apps/v1:StatefulSet", "cache", { metadata: { name: "cache" }, spec: { replicas: 3, volumeClaimTemplates: [claimTemplate("20Gi", undefined, "data"), claimTemplate("1Gi")] } }),
      resource("kubernetes:apps/v1:StatefulSet", "one", { metadata: { name: "one" }, spec: { volumeClaimTemplates: [claimTemplate("2Gi", undefined, "data")] } }),
      resource("kubernetes:apps/v1:StatefulSet", "stateless", { metadata: { name: "stateless" }, spec: { replicas: 2 } }),
    ])).toEqual([
      ["volumes/PersistentVolumeClaim scratch/claim", "PersistentVolumeClaim scratch, claim: 1 × 1536Mi gp3", 1.5, 0.12],
      ["volumes/StatefulSet cache/data", "StatefulSet cache, data: 3 × 20Gi gp3", 60, 4.8],
      ["volumes/StatefulSet cache/claim", "StatefulSet cache, claim: 3 × 1Gi gp3", 3, 0.24],
      ["volumes/StatefulSet one/data", "StatefulSet one, data: 1 × 2Gi gp3", 2, 0.16],
    ]);
  });
});

describe("the EBS volume type behind a claim", () => {
  const claim = (name: string, storageClassName?: string) => resource("kubernetes:core/v1:PersistentVolumeClaim", name, { metadata: { name }, spec: { storageClassName, resources: { requests: { storage: "10Gi" } } } });

  it("is its StorageClass's type, the default class's for a claim that names none, gp3 when the class says nothing", () => {
    expect(summary([storageClass("fast", "gp3"), storageClass("plain"), claim("named", "fast"), claim("untyped", "plain"), claim("elsewhere", "made-outside-the-plan"), claim("unnamed")]).map(([id]) => id))
      .toEqual(["volumes/PersistentVolumeClaim named/claim", "volumes/PersistentVolumeClaim untyped/claim", "volumes/PersistentVolumeClaim elsewhere/claim", "volumes/PersistentVolumeClaim unnamed/claim"]);
  });

  it("refuses a volume type the snapshot does not price, naming the claim and its class, the default class's included", () => {
    const refusal = (resources: PlannedResource[]) => {
      try {
        volumeLines(resources, GP3);
      } catch (error) {
        expect(error).toBeInstanceOf(PriceError);
        return (error as Error).message;
      }
      return undefined;
    };
    expect(refusal([storageClass("io", "io2"), claim("db", "io")])).toBe("PersistentVolumeClaim db: no price for EBS volume type io2 (StorageClass io); the snapshot prices gp3 only");
    expect(refusal([storageClass("gp3"), storageClass("st1-default", "st1", true), claim("logs")])).toBe("PersistentVolumeClaim logs: no price for EBS volume type st1 (StorageClass st1-default); the snapshot prices gp3 only");
    // A default class other than the claim's own does not decide its type.
    expect(refusal([storageClass("st1-default", "st1", true), storageClass("fast", "gp3"), claim("db", "fast")])).toBeUndefined();
    // Annotated, but not "true": not the default.
    const notDefault = resource("kubernetes:storage.k8s.io/v1:StorageClass", "maybe", { metadata: { name: "maybe", annotations: { "storageclass.kubernetes.io/is-default-class": "false" } }, parameters: { type: "sc1" } });
    expect(refusal([notDefault, claim("logs")])).toBeUndefined();
  });

  it("refuses a size it cannot read, naming the claim", () => {
    const bad = resource("kubernetes:core/v1:PersistentVolumeClaim", "odd", { metadata: { name: "odd" }, spec: { resources: { requests: { storage: "ten gigabytes" } } } });
    expect(() => volumeLines([bad], GP3)).toThrow(new PriceError('PersistentVolumeClaim odd: cannot read the volume size "ten gigabytes"'));
  });
});

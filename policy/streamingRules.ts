/**
 * Guard rails for streaming pipelines: every consumer Deployment is scaled by a KEDA ScaledObject, has a
 * PodDisruptionBudget that still lets drains through, and never asks for more consumers than the partitions of
 * the topics it reads (the extra ones sit idle; kedacore/keda v2.20.2 pkg/scalers/kafka_scaler.go caps its own
 * count at the partitions).
 */
import type { Resource, Rule } from "./rule";

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic";

const namespaceOf = (resource: Resource) => resource.props.metadata?.namespace;
const nameOf = (resource: Resource) => resource.props.metadata?.name;
const matches = (selector: Record<string, any> | undefined, labels: Record<string, string>) =>
  !!selector && Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);

/** The ScaledObjects that scale a Deployment (same namespace, its name as the target). */
const scalersOf = (deployment: Resource, resources: Resource[]) => resources.filter((r) => r.type === SCALED_OBJECT && namespaceOf(r) === namespaceOf(deployment) && r.props.spec?.scaleTargetRef?.name === nameOf(deployment));

export const streamingRules: Rule[] = [
  {
    name: "streaming-consumer-scaled-and-drainable",
    description: "A consumer Deployment is scaled by a KEDA ScaledObject on its lag, and has a PodDisruptionBudget with maxUnavailable of at least 1 (never a minAvailable that blocks every drain).",
    level: { staging: "mandatory", prod: "mandatory" },
    stack: (resources) => resources.filter((r) => r.type === DEPLOYMENT).flatMap((deployment) => {
      const labels: Record<string, string> = deployment.props.spec?.template?.metadata?.labels ?? {};
      const budgets = resources.filter((r) => r.type === PDB && namespaceOf(r) === namespaceOf(deployment) && matches(r.props.spec?.selector, labels));
      const drainable = budgets.some((budget) => Number(budget.props.spec?.maxUnavailable ?? 0) >= 1 && budget.props.spec?.minAvailable === undefined);
      return [
        ...(scalersOf(deployment, resources).length === 0 ? [{ resource: deployment, message: `Deployment ${nameOf(deployment)} has no ScaledObject: it does not scale on its lag` }] : []),
        ...(!drainable ? [{ resource: deployment, message: `Deployment ${nameOf(deployment)} has no PodDisruptionBudget with maxUnavailable ≥ 1: drains either lose every consumer at once or block` }] : []),
      ];
    }),
  },
  {
    name: "streaming-replicas-within-partitions",
    description: "A ScaledObject's maxReplicaCount is at most the partitions of the topics its Kafka triggers read, summed: a consumer group never uses more members than partitions.",
    level: { staging: "mandatory", prod: "mandatory" },
    stack: (resources) => resources.filter((r) => r.type === SCALED_OBJECT).flatMap((scaler) => {
      const topics: string[] = (scaler.props.spec?.triggers ?? []).filter((t: any) => t.type === "kafka").map((t: any) => t.metadata?.topic);
      if (topics.length === 0) return [];
      const partitionsOf = (topic: string) => resources.find((r) => r.type === KAFKA_TOPIC && nameOf(r) === topic)?.props.spec?.partitions;
      const known = topics.map(partitionsOf);
      if (known.some((partitions) => typeof partitions !== "number")) return [{ resource: scaler, message: `ScaledObject ${nameOf(scaler)} reads topics this stack does not declare: ${topics.filter((_, i) => typeof known[i] !== "number").join(", ")}` }];
      const partitions = known.reduce((sum, n) => sum + n, 0);
      const max = scaler.props.spec?.maxReplicaCount ?? 100;
      return max > partitions ? [{ resource: scaler, message: `ScaledObject ${nameOf(scaler)} may run ${max} consumers for ${partitions} partitions (${topics.join(", ")})` }] : [];
    }),
  },
];

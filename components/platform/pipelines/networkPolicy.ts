/** A pipeline's NetworkPolicy: DNS comes from the namespace's policy; this allows exactly what the pipeline uses. */
import { pipelineSteps, type PipelineConfig } from "../../../config/schema";
import { apiServerEgress, CNPG_INSTANCE_LABELS, httpsEgress, inNamespace, objectStoreEgress, PRIVATE_RANGES } from "../networkPolicies";
import { PIPELINE_LABEL, type PipelineWiring } from "./pod";

/**
 * Egress a pipeline may use beyond DNS: the Kafka brokers, the Postgres instances, HTTPS to the internet (extract
 * jobs that declare it), the object store (S3 access, and a steps pipeline's step logs), and the API server (Argo's
 * executor, or `kubernetesApi`). Where the store and the API server are depends on the target (wiring.egress).
 */
export function pipelineNetworkPolicy(pipeline: PipelineConfig, wiring: PipelineWiring) {
  const egress: object[] = [];
  const steps = pipelineSteps(pipeline);
  if (pipeline.kafka) {
    egress.push({ to: [{ ...inNamespace(wiring.kafka.namespace), podSelector: { matchLabels: { "strimzi.io/cluster": wiring.kafka.clusterName, "strimzi.io/kind": "Kafka" } } }], ports: [{ protocol: "TCP", port: 9093 }] });
  }
  if (pipeline.postgres) {
    // Every instance of the namespace, so clients can switch to a cluster restored under another name.
    egress.push({ to: [{ ...inNamespace(wiring.postgres.namespace), podSelector: { matchLabels: CNPG_INSTANCE_LABELS } }], ports: [{ protocol: "TCP", port: 5432 }] });
  }
  if (pipeline.internet) {
    egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: PRIVATE_RANGES } }], ports: [{ protocol: "TCP", port: 443 }] });
  }
  if (pipeline.s3 || steps) {
    // The store (S3's addresses on AWS, the store's pods in the cluster) and the identity exchange (STS in the
    // VPC): named even with `internet`, whose rule leaves the private ranges out.
    egress.push(objectStoreEgress(wiring.egress.objectStore, wiring.objectStore, wiring.egress.objectStorePort));
    if (wiring.egress.identity) egress.push(httpsEgress(wiring.egress.identity));
  }
  if (wiring.telemetry) {
    // OTLP to the collector (gRPC and HTTP), nothing else of its namespace.
    egress.push({ to: [{ ...inNamespace(wiring.telemetry.namespace), podSelector: { matchLabels: wiring.telemetry.podLabels } }], ports: wiring.telemetry.ports.map((port) => ({ protocol: "TCP", port })) });
  }
  if (pipeline.kubernetesApi || steps) {
    // Argo's executor reports step results to the API server; on EKS its endpoints are the control plane's ENIs
    // (VPC addresses behind the `kubernetes` ClusterIP), on kind the control-plane node: no pod selector names them.
    egress.push(apiServerEgress(wiring.egress.apiServer));
  }
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: pipeline.name, namespace: wiring.namespace },
    spec: { podSelector: { matchLabels: { [PIPELINE_LABEL]: pipeline.name } }, policyTypes: ["Egress"], egress },
  };
}


/**
 * Where a run's logs, metrics and trace are: the log groups' routing (one group per platform namespace, per
 * pipeline, and one for the rest), and the hints an alert carries to open a pipeline's logs.
 */
import type { PlatformConfig, PipelineConfig } from "../../config/schema";
import { STRIMZI_NAMESPACE } from "./kafka";
import { pipelineGroup, type LogRouting } from "./logShipping";
import { CNPG_NAMESPACE } from "./postgres";
import { DRILL_NAMESPACE } from "./restoreDrill";

/** The log groups' routing of a platform: `/etl/<cluster>/<namespace>` and `/etl/<cluster>/pipelines/<pipeline>`. */
export function logRouting(config: PlatformConfig, pipelinesNamespace: string): LogRouting {
  const namespaces = [
    "kube-system", "cert-manager", STRIMZI_NAMESPACE, config.kafka.namespace, CNPG_NAMESPACE, config.postgres.namespace,
    config.monitoring.namespace, config.argo.namespace, pipelinesNamespace, DRILL_NAMESPACE,
  ];
  return { prefix: `/etl/${config.cluster.name}`, namespaces: [...new Set(namespaces)], pipelinesNamespace, pipelines: config.pipelines.map((pipeline) => pipeline.name) };
}

/**
 * An alert's way to a pipeline's logs: the CloudWatch group, a Logs Insights query (of the failed run where the
 * alert names it: `job_name`) and the CLI; or kubectl where logs stay in the cluster. The pipelines dashboard
 * shows the same logs per pipeline and run.
 */
export function logsHint(routing: LogRouting | undefined, pipelinesNamespace: string) {
  return (pipeline: PipelineConfig): Record<string, string> => {
    const dashboard = `/d/etl-pipelines?var-pipeline=${pipeline.name}`;
    if (!routing) return { logs: `kubectl -n ${pipelinesNamespace} logs -l etl-platform/pipeline=${pipeline.name} --all-containers --prefix --tail=200`, dashboard };
    const group = pipelineGroup(routing, pipeline.name);
    return {
      logs: `aws logs tail ${group} --since 6h --format short`,
      logs_query: `fields @timestamp, run, kubernetes.pod_name, log | filter run like /{{ with $labels.job_name }}{{ . }}{{ end }}/ | sort @timestamp desc | limit 200 (log group ${group})`,
      dashboard,
    };
  };
}

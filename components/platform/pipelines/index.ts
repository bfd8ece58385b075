/**
 * Everything that knows a pipeline: what each pipeline becomes (cronJob.ts, cronWorkflow.ts, streaming.ts, on the
 * pod of pod.ts),
 * what Argo needs for steps pipelines (argoSupport.ts), its object-store grants, NetworkPolicy, retries, alerts and
 * dashboard, the namespace's quota, and the component that declares them (component.ts).
 */
export { Pipelines, type PipelinesArgs } from "./component";
export { cronJob, jobRetries, podFailurePolicy } from "./cronJob";
export { cronWorkflow } from "./cronWorkflow";
export { KEDA_API_VERSION, PARTITION_ASSIGNMENT_STRATEGY, scaledObject, streamingDeployment, streamingDisruptionBudget, triggerAuthentication } from "./streaming";
export { lagExpr, streamingAlertRules } from "./streamingAlerts";
export { envSecretName, MAIN_CONTAINER, PIPELINE_LABEL, PIPELINE_PRIORITY_CLASS, pipelineEnv, startingDeadlineSeconds, type PipelineWiring } from "./pod";
export { argoMetric, artifactPrefix, artifactRepository, ARTIFACT_REPOSITORIES_CONFIGMAP, EXECUTOR_RBAC_RULES, EXECUTOR_SERVICE_ACCOUNT, semaphoreConfigMap, type ArtifactStoreAccess } from "./argoSupport";
export { pipelineStoreGrants } from "./storeGrants";
export { pipelineNetworkPolicy } from "./networkPolicy";
export { argoRetryExpression, argoStepRetryStrategy, INFRASTRUCTURE_FAILURE_MESSAGES } from "./retries";
export { freshnessThresholdSeconds, pipelineAlertRules } from "./alerts";
export { CONTAINER_DEFAULTS, pipelineQuota, type QuotaHard } from "./quota";
export { pipelinesDashboard, type PipelinesDashboardArgs } from "./dashboard";

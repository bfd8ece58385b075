/**
 * The expected monthly batch cost, from what the plan declares for each pipeline: its schedules, the requests
 * of the pods a run starts, and its activeDeadlineSeconds. It is an upper bound, and labelled so: every run is
 * taken to last its whole deadline, to hold whole nodes of its pool to itself, and to keep them until the cluster
 * autoscaler removes them (its scale-down-unneeded-time after the last pod), root volumes included (runs that
 * share a node, or finish early, cost less).
 */
import { scheduleRuns } from "../lib/cron";
import { instanceShape } from "../lib/instanceTypes";
import { CAPACITY_LABEL } from "../lib/placement";

/** The label every pipeline's objects carry (components/platform/pipelines/pod.ts PIPELINE_LABEL; cost/ reads plans, not components). */
export const PIPELINE_LABEL = "etl-platform/pipeline";
import { dagLevels } from "../lib/dag";
import { parseQuantity } from "../lib/quantity";
import { HOURS_PER_MONTH, hundredths, line, type CostLine } from "./lines";
import type { PricedNodeGroup } from "./nodes";
import { consolidateAfterHours } from "./karpenterPools";
import { ofType, type PlannedResource } from "./plannedResource";
import { PriceError } from "./prices";

/** Runs are counted over four whole weeks, then scaled to the 730-hour month. */
const SAMPLE_DAYS = 28;

export interface PipelineRun {
  pipeline: string;
  capacity: "spot" | "on-demand";
  runsPerMonth: number;
  /** The deadline plus the autoscaler's delay before it removes the idle node, capped by the schedule's gap. */
  hoursPerRun: number;
  deadlineHours: number;
  scaleDownHours: number;
  nodesPerRun: number;
  nodeHours: number;
  pool: PricedNodeGroup;
}

export interface PodRequests {
  cpu: number;
  memoryGiB: number;
}

export function requestsOf(container: any): PodRequests {
  const requests = container?.resources?.requests ?? {};
  return { cpu: parseQuantity(String(requests.cpu ?? "0")) ?? 0, memoryGiB: (parseQuantity(String(requests.memory ?? "0")) ?? 0) / 2 ** 30 };
}

/** What one pod requests: the sum of its containers'. */
export function podRequests(podSpec: any): PodRequests {
  return (podSpec?.containers ?? []).map(requestsOf).reduce((sum: PodRequests, pod: PodRequests) => ({ cpu: sum.cpu + pod.cpu, memoryGiB: sum.memoryGiB + pod.memoryGiB }), { cpu: 0, memoryGiB: 0 });
}

export function capacityOf(affinity: any): "spot" | "on-demand" {
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const expression = terms.flatMap((term: any) => term.matchExpressions ?? []).find((candidate: any) => candidate.key === CAPACITY_LABEL);
  return expression?.values?.[0] === "on-demand" ? "on-demand" : "spot";
}

/** The pods of a multi-step run that may run at once: its DAG's levels (lib/dag.ts). */
function dagPods(workflowSpec: any): PodRequests[][] {
  const templates: any[] = workflowSpec.templates ?? [];
  const entry = templates.find((template) => template.name === workflowSpec.entrypoint);
  const tasks: any[] = entry?.dag?.tasks ?? [];
  if (tasks.length === 0) return [[requestsOf(entry?.container)]];
  const containerOf = (taskName: string) => templates.find((template) => template.name === tasks.find((task) => task.name === taskName)?.template)?.container;
  return dagLevels(tasks.map((task) => ({ name: task.name, dependsOn: task.dependencies ?? [] }))).map((level) => level.map((name) => requestsOf(containerOf(name))));
}

interface PipelineShape {
  pipeline: string;
  schedules: string[];
  deadlineSeconds: number;
  forbidOverlap: boolean;
  capacity: "spot" | "on-demand";
  /** Groups of pods that run at the same time; a run holds the nodes of its largest group. */
  levels: PodRequests[][];
}

function pipelineShapes(resources: PlannedResource[]): PipelineShape[] {
  const cronJobs = ofType(resources, "kubernetes:batch/v1:CronJob").filter((job) => job.inputs.spec?.suspend !== true).map((job) => {
    const spec = job.inputs.spec;
    const jobSpec = spec.jobTemplate?.spec ?? {};
    const podSpec = jobSpec.template?.spec ?? {};
    const perPod = podRequests(podSpec);
    return {
      pipeline: job.inputs.metadata?.name ?? job.name,
      schedules: [spec.schedule],
      deadlineSeconds: jobSpec.activeDeadlineSeconds,
      forbidOverlap: spec.concurrencyPolicy !== "Allow",
      capacity: capacityOf(podSpec.affinity),
      levels: [Array.from({ length: jobSpec.parallelism ?? 1 }, () => perPod)],
    };
  });
  // Pipelines' CronWorkflows only: the restore drill's steps are resource templates (argoexec alone), and the
  // Postgres cluster it restores runs on the stateful pool, which the floor already counts (docs/operations.md,
  // Known limits). A spec still unknown offline is left out too.
  const workflows = ofType(resources, "kubernetes:argoproj.io/v1alpha1:CronWorkflow").filter((cron) => cron.inputs.metadata?.labels?.[PIPELINE_LABEL] && typeof cron.inputs.spec === "object" && cron.inputs.spec.suspend !== true).map((cron) => {
    const spec = cron.inputs.spec;
    return {
      pipeline: cron.inputs.metadata?.name ?? cron.name,
      schedules: spec.schedules ?? [spec.schedule],
      deadlineSeconds: spec.workflowSpec?.activeDeadlineSeconds,
      forbidOverlap: spec.concurrencyPolicy !== "Allow",
      capacity: capacityOf(spec.workflowSpec?.affinity),
      levels: dagPods(spec.workflowSpec ?? {}),
    };
  });
  return [...cronJobs, ...workflows];
}

/** The whole nodes of a pool's first instance type that pods running at once need (by CPU or memory, whichever binds). */
export function nodesFor(pool: PricedNodeGroup, pods: PodRequests[]): number {
  const node = instanceShape(pool.instanceTypes[0]);
  if (!node) throw new PriceError(`etl-platform:nodePools (pool ${pool.pool}): unknown shape of ${pool.instanceTypes[0]}`);
  const cpu = pods.reduce((sum, pod) => sum + pod.cpu, 0);
  const memoryGiB = pods.reduce((sum, pod) => sum + pod.memoryGiB, 0);
  return Math.ceil(Math.max(cpu / node.vcpus, memoryGiB / node.memoryGiB));
}

/**
 * How long a node stays after its last pod: the cluster autoscaler's `scale-down-unneeded-time` as the plan passes
 * it (components/aws/autoscaler.ts extraArgs), else the autoscaler's default of 10 minutes (kubernetes/autoscaler
 * cluster-autoscaler FAQ, "How does scale-down work?"; the chart's values.yaml lists `scale-down-unneeded-time: 10m`).
 * No autoscaler in the plan: nothing removes the node, and the pool's floor already counts it.
 */
export function scaleDownHours(resources: PlannedResource[]): number {
  const release = ofType(resources, "kubernetes:helm.sh/v3:Release").find((candidate) => candidate.inputs.chart === "cluster-autoscaler");
  // Under Karpenter: its NodePools' consolidateAfter (v1.14 concepts/disruption.md, "Consolidation").
  if (!release) return consolidateAfterHours(resources) ?? 0;
  const value = String(release.inputs.values?.extraArgs?.["scale-down-unneeded-time"] ?? "10m");
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== value) throw new PriceError(`etl-platform:autoscaler.scaleDownUnneededTime: expected a duration such as 10m, got ${JSON.stringify(value)}`);
  return parts.reduce((hours, [, amount, unit]) => hours + Number(amount) / (unit === "h" ? 1 : unit === "m" ? 60 : 3600), 0);
}

export function pipelineRuns(resources: PlannedResource[], groups: PricedNodeGroup[]): PipelineRun[] {
  const scaleDown = scaleDownHours(resources);
  return pipelineShapes(resources).map((shape) => {
    const capacityType = shape.capacity === "spot" ? "SPOT" : "ON_DEMAND";
    const pool = groups.find((group) => group.batch && group.capacityType === capacityType);
    if (!pool) throw new PriceError(`etl-platform:pipelines (${shape.pipeline}): no ${shape.capacity} batch pool to run it on`);
    const nodesPerRun = Math.max(1, ...shape.levels.map((pods) => nodesFor(pool, pods)));
    // Rounded as shown, so that runs × hours × nodes redone by hand gives the line's node-hours.
    const runsPerMonth = hundredths((shape.schedules.reduce((sum, schedule) => sum + scheduleRuns(schedule, SAMPLE_DAYS).length, 0) * HOURS_PER_MONTH) / (SAMPLE_DAYS * 24));
    const deadlineHours = (shape.deadlineSeconds ?? 3600) / 3600;
    // With overlap forbidden a run that outlasts the next tick makes that tick skip, and a node kept past a run is
    // the next run's: at most the whole month is busy.
    const hoursPerRun = hundredths(shape.forbidOverlap ? Math.min(deadlineHours + scaleDown, HOURS_PER_MONTH / runsPerMonth) : deadlineHours + scaleDown);
    return { pipeline: shape.pipeline, capacity: shape.capacity, runsPerMonth, hoursPerRun, deadlineHours, scaleDownHours: scaleDown, nodesPerRun, nodeHours: runsPerMonth * hoursPerRun * nodesPerRun, pool };
  });
}

export function batchLines(runs: PipelineRun[], gp3GBMonth: number): CostLine[] {
  return runs.flatMap((run) => {
    const priced = run.capacity === "spot" ? "spot, high end" : "on-demand";
    const held = run.scaleDownHours > 0 ? `${hundredths(run.deadlineHours)} h deadline + ${Math.round(run.scaleDownHours * 60)} min until the autoscaler removes the node` : `${hundredths(run.deadlineHours)} h deadline`;
    const item = `${run.pipeline}: ${run.runsPerMonth} runs × ${run.hoursPerRun} h (${held}) × ${run.nodesPerRun} ${run.pool.instanceTypes[0]} node (${priced}; upper bound: the full deadline on whole nodes)`;
    return [
      line(`batch/${run.pipeline}`, "batch", item, run.nodeHours, "node-hour", run.pool.nodeHour, "batch"),
      line(`batch/${run.pipeline}/root-volumes`, "storage", `${run.pipeline}: root volumes of its nodes, ${hundredths(run.nodeHours)} node-hours × ${run.pool.diskGiB} GiB gp3 / ${HOURS_PER_MONTH} h`, (run.nodeHours * run.pool.diskGiB) / HOURS_PER_MONTH, "GB-month", gp3GBMonth, "batch"),
    ];
  });
}

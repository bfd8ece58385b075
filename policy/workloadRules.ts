/** Guard rails for the workloads we write ourselves: the pipelines' CronJobs, CronWorkflows and consumer Deployments. */
import { imageDigests, platformImages } from "../versions";
import { both, CRONJOB, CRONWORKFLOW, forTypes, PG_CLUSTER, prodOnly, type Resource, type Rule } from "./rule";
import { DEPLOYMENT } from "./streamingRules";

const DIGEST = /@sha256:[a-f0-9]{64}$/;
const JOB = "kubernetes:batch/v1:Job";
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** Every image a chart's values set (`{ repository, tag }`, or an `image` with a tag only), with the path to it. */
export function valuesImages(values: unknown, at = "values"): { path: string; image: Record<string, any> }[] {
  if (!values || typeof values !== "object") return [];
  const node = values as Record<string, any>;
  const here = typeof node.tag === "string" && (typeof node.repository === "string" || at.endsWith(".image")) ? [{ path: at, image: node }] : [];
  return [...here, ...Object.entries(node).flatMap(([key, child]) => valuesImages(child, `${at}.${key}`))];
}

/**
 * Mandatory in prod once `npm run refresh-digests` has pinned every image the program names (versions.ts,
 * imageDigests): until then the registries were not asked (no network where the digests would be written), and
 * the rule only reports.
 */
export const platformDigestsPinned = (): boolean => platformImages().every((image) => imageDigests[image]);

interface PodView {
  pod: Record<string, any>;
  containers: Record<string, any>[];
  volumes: Record<string, any>[];
}

/** The pod settings and containers of a workload, whatever its kind. */
export function podView(resource: Resource): PodView | undefined {
  if (resource.type === CRONJOB) {
    const pod = resource.props.spec?.jobTemplate?.spec?.template?.spec ?? {};
    return { pod, containers: pod.containers ?? [], volumes: pod.volumes ?? [] };
  }
  if (resource.type === DEPLOYMENT) {
    const pod = resource.props.spec?.template?.spec ?? {};
    return { pod, containers: pod.containers ?? [], volumes: pod.volumes ?? [] };
  }
  if (resource.type === CRONWORKFLOW) {
    const spec = resource.props.spec?.workflowSpec ?? {};
    const containers = (spec.templates ?? []).map((t: any) => t.container).filter(Boolean);
    return { pod: { ...spec, priorityClassName: spec.podPriorityClassName }, containers, volumes: spec.volumes ?? [] };
  }
  return undefined;
}

const WORKLOADS = [CRONJOB, CRONWORKFLOW, DEPLOYMENT];
const SECRET_LIKE = /(PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

function eachContainer(check: (container: Record<string, any>, view: PodView) => (string | false | undefined)[]) {
  return forTypes(WORKLOADS, (_props, resource) => {
    const view = podView(resource);
    return view ? view.containers.flatMap((container) => check(container, view).map((m) => m && `${container.name}: ${m}`)) : [];
  });
}

export const workloadRules: Rule[] = [
  {
    name: "workload-resources",
    description: "Every container requests CPU and memory (the scheduler and autoscaler plan by them) and has a memory limit. Set resources in the pipeline's config.",
    level: both("mandatory"),
    resource: eachContainer((c) => [
      (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) && "no CPU or memory request",
      !c.resources?.limits?.memory && "no memory limit",
    ]),
  },
  {
    name: "workload-restricted-security",
    description: "Containers run as non-root, with a read-only root filesystem, no privilege escalation, all capabilities dropped and seccomp RuntimeDefault (the `restricted` Pod Security Standard).",
    level: both("mandatory"),
    resource: eachContainer((c, { pod }) => {
      const sc = c.securityContext ?? {};
      const seccomp = sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
      return [
        !(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) && "may run as root",
        sc.allowPrivilegeEscalation !== false && "allows privilege escalation",
        !(sc.capabilities?.drop ?? []).includes("ALL") && "does not drop all capabilities",
        seccomp !== "RuntimeDefault" && seccomp !== "Localhost" && "no seccomp profile",
        sc.readOnlyRootFilesystem !== true && "root filesystem is writable",
      ];
    }),
  },
  {
    name: "workload-no-host-access",
    description: "No host network, PID or IPC namespace and no hostPath volume: a pipeline never touches its node.",
    level: both("mandatory"),
    resource: forTypes(WORKLOADS, (_props, resource) => {
      const view = podView(resource);
      if (!view) return [];
      return [
        (view.pod.hostNetwork || view.pod.hostPID || view.pod.hostIPC) && "uses a host namespace",
        ...view.volumes.map((v) => v.hostPath && `volume ${v.name} is a hostPath`),
      ];
    }),
  },
  {
    name: "image-pinned",
    description: "Images are pinned by tag, never `latest`: what runs is what was reviewed.",
    level: both("mandatory"),
    resource: eachContainer((c) => {
      const [nameAndTag] = String(c.image ?? "").split("@");
      const tag = nameAndTag.lastIndexOf(":") > nameAndTag.lastIndexOf("/") ? nameAndTag.slice(nameAndTag.lastIndexOf(":") + 1) : undefined;
      return [(!tag || tag === "latest") && `image ${c.image} is not pinned by tag`];
    }),
  },
  {
    name: "image-pinned-by-digest",
    description: "In prod, images are also pinned by digest (repo:tag@sha256:...): a tag can be moved, a digest cannot.",
    level: prodOnly,
    resource: eachContainer((c) => [!/@sha256:[a-f0-9]{64}$/.test(String(c.image ?? "")) && `image ${c.image} has no digest`]),
  },
  {
    name: "platform-images-pinned-by-digest",
    description: "In prod, the images the program names itself are pinned by digest: the Postgres image of the Cluster, its Jobs', and the images set in Helm values (a chart's `digest`/`sha` key, or the digest on the tag). Run npm run refresh-digests to write them (versions.ts, imageDigests).",
    level: { staging: "advisory", prod: platformDigestsPinned() ? "mandatory" : "advisory" },
    resource: (resource) => {
      if (resource.type === PG_CLUSTER) return DIGEST.test(String(resource.props.spec?.imageName ?? "")) ? [] : [`imageName ${resource.props.spec?.imageName} has no digest`];
      if (resource.type === JOB) return (resource.props.spec?.template?.spec?.containers ?? []).filter((c: any) => !DIGEST.test(String(c.image ?? ""))).map((c: any) => `${c.name}: image ${c.image} has no digest`);
      if (resource.type === HELM_RELEASE) {
        return valuesImages(resource.props.values).filter(({ image }) => !image.digest && !image.sha && !DIGEST.test(String(image.tag)))
          .map(({ path, image }) => `${path}: image ${image.repository ?? "(the chart's repository)"}:${image.tag} has no digest`);
      }
      return [];
    },
  },
  {
    name: "service-account-token-not-mounted",
    description: "Pods get no Kubernetes API token unless they need one (set kubernetesApi: true). Argo workflow pods need one for the executor and are exempt.",
    level: both("mandatory"),
    resource: forTypes([CRONJOB, DEPLOYMENT], (_props, resource) => [podView(resource)?.pod.automountServiceAccountToken !== false && "mounts a service account token"]),
  },
  {
    name: "no-plaintext-secret-env",
    description: "An environment variable named like a password, token or key takes its value from a Secret (valueFrom), never a literal: put the value in etl-platform:secrets and use secretEnv.",
    level: both("mandatory"),
    resource: eachContainer((c) => (c.env ?? []).map((e: any) => SECRET_LIKE.test(e.name) && e.value !== undefined && `env ${e.name} has a literal value`)),
  },
  {
    name: "cronjob-reliability",
    description: "Every scheduled pipeline declares its concurrency policy, starting deadline, retries, deadline, history limits and time zone, so a late, stuck or repeated run is bounded.",
    level: both("mandatory"),
    resource: (resource) => {
      const spec = resource.props.spec ?? {};
      if (resource.type === CRONJOB) {
        const job = spec.jobTemplate?.spec ?? {};
        return [
          !spec.concurrencyPolicy && "no concurrencyPolicy",
          spec.startingDeadlineSeconds === undefined && "no startingDeadlineSeconds",
          job.backoffLimit === undefined && job.backoffLimitPerIndex === undefined && "no backoffLimit (nor backoffLimitPerIndex)",
          job.activeDeadlineSeconds === undefined && "no activeDeadlineSeconds",
          (spec.successfulJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === undefined) && "no history limits",
          !spec.timeZone && "no timeZone",
        ].filter((m): m is string => typeof m === "string");
      }
      if (resource.type === CRONWORKFLOW) {
        return [
          !spec.concurrencyPolicy && "no concurrencyPolicy",
          spec.startingDeadlineSeconds === undefined && "no startingDeadlineSeconds",
          spec.workflowSpec?.activeDeadlineSeconds === undefined && "no activeDeadlineSeconds",
          (spec.successfulJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === undefined) && "no history limits",
          !spec.timezone && "no timezone",
        ].filter((m): m is string => typeof m === "string");
      }
      return [];
    },
  },
  {
    name: "cronjob-ignores-disruptions",
    description: "A Job's podFailurePolicy ignores pod disruptions (DisruptionTarget), so a spot interruption or node drain does not use up its retries.",
    level: both("mandatory"),
    resource: forTypes([CRONJOB], (props) => {
      const rules: any[] = props.spec?.jobTemplate?.spec?.podFailurePolicy?.rules ?? [];
      return [!rules.some((r) => r.action === "Ignore" && (r.onPodConditions ?? []).some((c: any) => c.type === "DisruptionTarget")) && "disruptions count against the retries"];
    }),
  },
];

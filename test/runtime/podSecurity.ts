/**
 * The `restricted` Pod Security Standard as the API server's admission plugin checks it
 * (kubernetes/pod-security-admission, policy/check_*.go; https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * and models of the pods that the charts we install into restricted namespaces render, from their templates.
 */

type Obj = Record<string, any>;

/** Volume types the restricted profile allows (policy/check_restrictedVolumes.go). */
const ALLOWED_VOLUME_TYPES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

/** Why the API server would refuse the pod in a namespace enforcing `restricted`; empty when it admits it. */
export function restrictedViolations(pod: Obj): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  const containers: Obj[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push("host namespaces");
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== "name");
    if (!type || !ALLOWED_VOLUME_TYPES.has(type)) problems.push(`volume ${volume.name} of type ${type}`);
  }
  const seccomp = (context: Obj | undefined) => context?.seccompProfile?.type;
  const podSeccompOk = ["RuntimeDefault", "Localhost"].includes(seccomp(podContext));
  if (seccomp(podContext) === "Unconfined") problems.push("pod seccompProfile Unconfined");
  if (podContext.runAsUser === 0) problems.push("pod runAsUser 0");
  for (const container of containers) {
    const context = container.securityContext ?? {};
    const name = container.name ?? "(container)";
    if (context.privileged) problems.push(`${name}: privileged`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation is not false`);
    const runAsNonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
    if (runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot is not true (neither on the container nor the pod)`);
    if (context.runAsUser === 0) problems.push(`${name}: runAsUser 0`);
    const containerSeccomp = seccomp(context);
    if (containerSeccomp === "Unconfined") problems.push(`${name}: seccompProfile Unconfined`);
    if (!["RuntimeDefault", "Localhost"].includes(containerSeccomp) && !podSeccompOk) problems.push(`${name}: no seccompProfile RuntimeDefault or Localhost (neither on the container nor the pod)`);
    const drop: string[] = context.capabilities?.drop ?? [];
    if (!drop.includes("ALL")) problems.push(`${name}: capabilities do not drop ALL`);
    for (const added of context.capabilities?.add ?? []) if (added !== "NET_BIND_SERVICE") problems.push(`${name}: adds capability ${added}`);
    if (container.ports?.some((port: Obj) => port.hostPort)) problems.push(`${name}: hostPort`);
  }
  return problems;
}

function isPlainObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Helm's merge of user values over a chart's defaults: maps merge key by key, anything else replaces. */
export function helmMerge(defaults: unknown, values: unknown): unknown {
  if (values === undefined) return defaults;
  if (!isPlainObject(defaults) || !isPlainObject(values)) return values;
  const merged: Obj = { ...defaults };
  for (const [key, value] of Object.entries(values)) merged[key] = value === null ? undefined : helmMerge(defaults[key], value);
  return merged;
}

/** `{{- with X }} securityContext: X` renders nothing for an empty map. */
const withValue = (value: unknown) => (isPlainObject(value) && Object.keys(value).length > 0 ? value : undefined);

/**
 * The pods a chart renders, from its effective values (upstream values.yaml merged with ours): pod-level
 * securityContext, containers' securityContexts and volumes, as each template writes them.
 */
export const chartPods: Record<string, (values: Obj) => Obj[]> = {
  "argo-workflows": (v) => [
    // argo-helm argo-workflows-1.0.18 templates/controller/workflow-controller-deployment.yaml
    { name: "workflow-controller", securityContext: withValue(v.controller.podSecurityContext), containers: [{ name: "controller", securityContext: v.controller.securityContext }], volumes: v.controller.volumes ?? [] },
    // templates/server/server-deployment.yaml: a `tmp` volume from server.tmpVolume
    ...(v.server.enabled ? [{
      name: "server", securityContext: withValue(v.server.podSecurityContext), containers: [{ name: "argo-server", securityContext: v.server.securityContext }],
      volumes: [{ name: "tmp", ...v.server.tmpVolume }, ...(v.server.volumes ?? [])],
    }] : []),
    // templates/crds-install-job.yaml: only with crds.install and crds.full; a hostPath volume when crds.upgradeJob.hostPath is set
    ...(v.crds.install && v.crds.full ? [{
      name: "crd-install", securityContext: withValue(v.crds.upgradeJob.podSecurityContext), containers: [{ name: "apply", securityContext: withValue(v.crds.upgradeJob.securityContext) }],
      volumes: v.crds.upgradeJob.hostPath ? [{ name: "crds", hostPath: { path: v.crds.upgradeJob.hostPath } }] : [],
    }] : []),
  ],
  // opentelemetry-collector 0.170.0 templates/_pod.tpl: podSecurityContext, the container's securityContext, the
  // config map; hostPath volumes only with the logs/kubelet presets (off unless set) or hostNetwork.
  "opentelemetry-collector": (v) => [{
    name: "opentelemetry-collector",
    securityContext: withValue(v.podSecurityContext),
    containers: [{ name: "opentelemetry-collector", securityContext: withValue(v.securityContext), ports: [] }],
    volumes: [{ name: "opentelemetry-collector-configmap", configMap: {} }, ...(v.presets?.logsCollection?.enabled ? [{ name: "varlogpods", hostPath: { path: "/var/log/pods" } }] : [])],
    hostNetwork: v.hostNetwork,
  }],
  // keda 2.20.2 templates/{manager,metrics-server,webhooks}/deployment.yaml: securityContext from
  // podSecurityContext.<component> (else podSecurityContext), the container's from securityContext.<component>
  // (else securityContext), secret volumes of the certificates, hostNetwork from <component>.useHostNetwork.
  keda: (v) => ([["keda-operator", "operator", "operator"], ["keda-operator-metrics-apiserver", "metricServer", "metricsServer"], ["keda-admission-webhooks", "webhooks", "webhooks"]] as const)
    .filter(([, , component]) => component !== "webhooks" || v.webhooks.enabled)
    .map(([name, key, component]) => ({
      name,
      securityContext: withValue(v.podSecurityContext[key] ?? v.podSecurityContext),
      containers: [{ name, securityContext: withValue(v.securityContext[key] ?? v.securityContext) }],
      volumes: [{ name: "certificates", secret: {} }],
      hostNetwork: v[component].useHostNetwork,
    })),
  // strimzi-kafka-operator 1.2.0 templates/060-Deployment-strimzi-cluster-operator.yaml: projected token, emptyDir, configMap
  "strimzi-kafka-operator": (v) => [{
    name: "strimzi-cluster-operator",
    securityContext: withValue(v.podSecurityContext),
    containers: [{ name: "strimzi-cluster-operator", securityContext: withValue(v.securityContext) }],
    volumes: [{ name: "kube-api-access", projected: {} }, { name: "strimzi-tmp", emptyDir: { medium: "Memory" } }, { name: "co-config-volume", configMap: {} }],
  }],
};

/**
 * Karpenter (`autoscaler.engine: karpenter`) on both environments: what it declares, checked against the facts of
 * the pinned version (aws/karpenter-provider-aws, tag v1.14.1; fixtures in test/fixtures/upstream/karpenter-1.14.1).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { controllerBoundaryPolicy, controllerPolicies, INTERRUPTION_EVENTS } from "../components/aws/karpenter/policies";
import { permissionsBoundaryPolicy } from "../components/aws/permissionsBoundary";
import { capacityAlertRules } from "../components/aws/capacityAlerts";
import { prometheusRuleSpec } from "../lib/alerts";
import { DO_NOT_DISRUPT, batchPlacement, POOL_LABEL } from "../lib/placement";
import { chartCrdFiles, charts, karpenterAmi, podIdentityAgentVersions, supportedKubernetesVersions } from "../versions";
import { parsePlatformConfig, rawPlatformConfig } from "../config/load";
import { PIPELINE_LABEL } from "../components/platform/pipelines/pod";
import { plan, stackSettings, withConfig, configProblems, type Plan } from "./harness";
import { karpenterStack } from "./karpenterStacks";
import { variants } from "./variants";
import { allows } from "./runtime/iam";
import { evaluateRules } from "./runtime/crdRules";
import { exporters, selectors } from "./runtime/metrics";
import { helmMerge, restrictedViolations } from "./runtime/podSecurity";
import { checkRules } from "./promtool";
import { chartDefaults, crdSchema, customResourceProblems, unknownValuesKeys, UPSTREAM } from "./upstream";

const FIXTURE = path.join(UPSTREAM, "karpenter-1.14.1");
const NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";
const NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe.each(["staging", "prod"] as const)("Karpenter on %s", (stack) => {
  let result: Plan;
  const settings = variants[stack === "prod" ? "karpenterProd" : "karpenterStaging"]();
  const parsed = parsePlatformConfig(rawPlatformConfig(settings.config));
  beforeAll(async () => {
    result = await plan(stack, settings);
  }, 120_000);
  const release = () => result.one(RELEASE, "etl-karpenter");
  const config = () => parsed;

  it("replaces the batch node groups and the cluster autoscaler; the system and stateful groups stay, sized by config", () => {
    const groups = result.ofType("aws:eks/nodeGroup:NodeGroup");
    expect(groups.map((g) => g.inputs.labels[POOL_LABEL]).sort()).toEqual(stack === "prod" ? ["stateful", "stateful", "stateful", "system"] : ["stateful", "system"]);
    // Nothing else scales them: a desiredSize edit must reach EKS.
    for (const group of groups) expect(group.ignoreChanges ?? []).not.toContain("scalingConfig.desiredSize");
    expect(result.ofType(RELEASE).filter((r) => r.inputs.chart === "cluster-autoscaler")).toEqual([]);
  });

  it("installs the pinned OCI chart in a restricted namespace, CRDs applied from the release tag", () => {
    const { inputs } = release();
    expect(inputs).toMatchObject({ chart: "oci://public.ecr.aws/karpenter/karpenter", version: charts.karpenter.version, namespace: "karpenter", skipCrds: true });
    expect(inputs.repositoryOpts).toBeUndefined();
    expect(result.one("kubernetes:core/v1:Namespace", "etl-karpenter-ns").inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const files = result.one("kubernetes:yaml/v2:ConfigGroup", "etl-karpenter-crds").inputs.files;
    expect(files).toEqual(chartCrdFiles.karpenter.map((file) => file.url));
    // The pinned hashes are the fixture's bytes, which are the tag's (../shared/upstream README: byte for byte).
    for (const file of chartCrdFiles.karpenter) {
      const local = fs.readFileSync(path.join(FIXTURE, "crds", path.basename(file.url)));
      expect({ file: file.url, sha256: createHash("sha256").update(local).digest("hex") }).toEqual({ file: file.url, sha256: file.sha256 });
    }
  });

  it("sets only keys of the chart's values.yaml, two replicas with a PDB on the system pool, the queue and the cluster", () => {
    const values = release().inputs.values;
    expect(unknownValuesKeys("karpenter-1.14.1", values)).toEqual([]);
    const merged = helmMerge(chartDefaults("karpenter-1.14.1"), values) as Record<string, any>;
    expect(merged.replicas).toBe(2);
    expect(merged.podDisruptionBudget).toEqual({ name: "karpenter", maxUnavailable: 1 });
    expect(merged.nodeSelector).toEqual({ "kubernetes.io/os": "linux", [POOL_LABEL]: "system" });
    // values.yaml: required anti-affinity on the hostname, and never a node of a NodePool (our values keep both).
    expect(merged.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe("kubernetes.io/hostname");
    expect(merged.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([{ key: "karpenter.sh/nodepool", operator: "DoesNotExist" }]);
    expect(merged.serviceMonitor.enabled).toBe(true);
    expect(merged.settings.clusterName).toBe(config().cluster.name);
    expect(merged.settings.interruptionQueue).toBe(result.one("aws:sqs/queue:Queue", "etl-karpenter-interruptions").inputs.name);
    // The published chart sets the image's tag and digest itself (hack/release/common.sh); a digest taken from git
    // would be another release's (versions.ts chartImages), so our values leave the image alone.
    expect(values.controller.image).toBeUndefined();
  });

  it("tells the controller its region: it would ask IMDS, which the nodes' hop limit of 1 keeps from pods", () => {
    // pkg/operator/operator.go at v1.14.1: `if cfg.Region == "" { ... imds ... GetRegion ... lo.Must0(...) }`.
    expect(release().inputs.values.controller.env).toEqual([{ name: "AWS_REGION", value: "eu-west-1" }]);
    for (const template of result.ofType("aws:ec2/launchTemplate:LaunchTemplate")) expect(template.inputs.metadataOptions.httpPutResponseHopLimit).toBe(1);
  });

  it("passes the restricted Pod Security profile: the chart's pod from values.yaml merged with ours", () => {
    const merged = helmMerge(chartDefaults("karpenter-1.14.1"), release().inputs.values) as Record<string, any>;
    // charts/karpenter/templates/deployment.yaml at v1.14.1: podSecurityContext as given, hostNetwork from values,
    // the controller's securityContext written in the template (lines 65-74).
    const pod = {
      securityContext: merged.podSecurityContext,
      hostNetwork: merged.hostNetwork,
      containers: [{ name: "controller", securityContext: { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, capabilities: { drop: ["ALL"] } } }],
    };
    expect(restrictedViolations(pod)).toEqual([]);
    expect(restrictedViolations({ ...pod, securityContext: {} })).toContain("controller: no seccompProfile RuntimeDefault or Localhost (neither on the container nor the pod)");
  });

  it("puts the controller's API calls in the high priority levels, as kube-system would (valid FlowSchemas)", () => {
    const { coreObjectProblems } = require("./upstream") as typeof import("./upstream");
    const schemas = result.ofType("kubernetes:flowcontrol.apiserver.k8s.io/v1:FlowSchema");
    expect(schemas.map((s) => s.inputs.spec.priorityLevelConfiguration.name).sort()).toEqual(["leader-election", "workload-high"]);
    for (const schema of schemas) {
      expect(coreObjectProblems({ apiVersion: "flowcontrol.apiserver.k8s.io/v1", kind: "FlowSchema", ...schema.inputs })).toEqual([]);
      for (const rule of schema.inputs.spec.rules) expect(rule.subjects).toEqual([{ kind: "ServiceAccount", serviceAccount: { name: release().inputs.values.serviceAccount.name, namespace: release().inputs.namespace } }]);
    }
  });

  it("gives the controller its identity through EKS Pod Identity, for the chart's service account", () => {
    const { values } = release().inputs;
    const association = result.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "etl-karpenter-controller").inputs;
    expect(association).toMatchObject({ namespace: release().inputs.namespace, serviceAccount: values.serviceAccount.name, clusterName: config().cluster.name });
    const role = result.one("aws:iam/role:Role", "etl-karpenter-controller");
    expect(association.roleArn).toBe(`arn:aws:mock:eu-west-1:123456789012:Role/${role.name}`);
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    expect(trust.Statement[0].Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
    expect(trust.Statement[0].Action).toEqual(["sts:AssumeRole", "sts:TagSession"]);
    expect(trust.Statement[0].Condition.StringEquals["aws:RequestTag/kubernetes-service-account"]).toBe(values.serviceAccount.name);
    // No IRSA annotation: the pod's credentials come from the agent add-on.
    expect(values.serviceAccount.annotations).toBeUndefined();
    expect(result.one("aws:eks/addon:Addon", "etl-karpenter-pod-identity-agent").inputs.addonName).toBe("eks-pod-identity-agent");
    expect(result.one("aws:eks/addon:Addon", "etl-karpenter-pod-identity-agent").inputs.addonVersion).toBe(podIdentityAgentVersions[config().cluster.kubernetesVersion]);
  });

  it("grants exactly the documented controller policies, and its boundary lets every action through", () => {
    const granted = result.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.startsWith("etl-karpenter-controller-"));
    expect(granted.map((p) => p.name.replace("etl-karpenter-controller-", "")).sort()).toEqual(["EKSIntegration", "IAMIntegration", "Interruption", "NodeLifecycle", "ResourceDiscovery", "ZonalShift"]);
    const role = result.one("aws:iam/role:Role", "etl-karpenter-controller");
    const boundaryPolicy = result.one("aws:iam/policy:Policy", "etl-karpenter-controller-boundary");
    expect(role.inputs.permissionsBoundary).toBe(`arn:aws:mock:eu-west-1:123456789012:Policy/${boundaryPolicy.name}`);
    const boundary = JSON.parse(boundaryPolicy.inputs.policy);
    const platformBoundary = permissionsBoundaryPolicy();
    let refusedByPlatform = 0;
    for (const policy of granted) {
      for (const statement of JSON.parse(policy.inputs.policy).Statement) {
        for (const action of [statement.Action].flat()) {
          for (const resource of [statement.Resource].flat()) {
            expect({ action, resource, allowed: allows(boundary, action, resource) }).toEqual({ action, resource, allowed: true });
            if (!allows(platformBoundary, action, resource)) refusedByPlatform++;
          }
        }
      }
    }
    // Why the controller has a boundary of its own: the platform's refuses its IAM, SQS, SSM and Pricing calls.
    expect(refusedByPlatform).toBeGreaterThan(10);
    const nodeRole = `arn:aws:mock:eu-west-1:123456789012:Role/${result.one("aws:iam/role:Role", "etl-karpenter-node").name}`;
    expect(allows(boundary, "iam:PassRole", nodeRole)).toBe(true);
    expect(allows(boundary, "iam:PassRole", "arn:aws:iam::123456789012:role/admin")).toBe(false);
    expect(allows(boundary, "iam:CreateRole", "*")).toBe(false);
    expect(allows(boundary, "kms:ScheduleKeyDeletion", "*")).toBe(false);
  });

  it("queues interruptions: SSE, 300 s retention, only EventBridge and SQS may send, no plain HTTP, a rule per event source", () => {
    const queue = result.one("aws:sqs/queue:Queue", "etl-karpenter-interruptions");
    expect(queue.inputs).toMatchObject({ name: config().cluster.name, messageRetentionSeconds: 300, sqsManagedSseEnabled: true });
    const policy = JSON.parse(result.one("aws:sqs/queuePolicy:QueuePolicy", "etl-karpenter-interruptions").inputs.policy);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: "sqs:SendMessage" });
    expect(policy.Statement[1]).toMatchObject({ Effect: "Deny", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const rules = result.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.startsWith("etl-karpenter-"));
    const patterns = rules.map((r) => JSON.parse(r.inputs.eventPattern)).map((p) => `${p.source[0]} / ${p["detail-type"][0]}`).sort();
    // cloudformation.yaml at v1.14.1 (ScheduledChangeRule, SpotInterruptionRule, RebalanceRule, InstanceStateChangeRule,
    // CapacityReservationInterruptionRule); the controller's parsers accept the same five.
    expect(patterns).toEqual([
      "aws.ec2 / EC2 Capacity Reservation Instance Interruption Warning",
      "aws.ec2 / EC2 Instance Rebalance Recommendation",
      "aws.ec2 / EC2 Instance State-change Notification",
      "aws.ec2 / EC2 Spot Instance Interruption Warning",
      "aws.health / AWS Health Event",
    ]);
    const targets = result.ofType("aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.name.startsWith("etl-karpenter-"));
    expect(targets).toHaveLength(INTERRUPTION_EVENTS.length);
    for (const target of targets) expect(target.inputs.arn).toBe(`arn:aws:mock:eu-west-1:123456789012:Queue/${queue.name}`);
  });

  it("declares NodePools and EC2NodeClasses that the v1.14.1 CRDs accept, schema and CEL rules", () => {
    const resources = [...result.ofType(NODE_POOL), ...result.ofType(NODE_CLASS)];
    expect(resources).toHaveLength(config().nodePools.batch.length * 2);
    for (const { inputs } of resources) {
      expect({ kind: inputs.kind, problems: customResourceProblems(inputs as any) }).toEqual({ kind: inputs.kind, problems: [] });
      const failed = evaluateRules({ apiVersion: inputs.apiVersion, kind: inputs.kind, metadata: inputs.metadata, spec: inputs.spec }, crdSchema(inputs.apiVersion, inputs.kind)).filter((outcome) => outcome.result === "failed" || outcome.result === "not evaluable");
      expect({ kind: inputs.kind, failed }).toEqual({ kind: inputs.kind, failed: [] });
    }
  });

  it("keeps each pool's labels and taints, so pipelines land where they did; requirements and limits from the pool", () => {
    for (const pool of config().nodePools.batch) {
      const nodePool = result.one(NODE_POOL, `etl-karpenter-${pool.name}`).inputs.spec;
      const labels = nodePool.template.metadata.labels;
      const wanted = (batchPlacement(pool.capacityType).affinity as any).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
      for (const expression of wanted.nodeSelectorTerms[0].matchExpressions) expect(expression.values).toContain(labels[expression.key]);
      expect(nodePool.template.spec.taints).toEqual([{ key: "etl-platform/batch", value: "true", effect: "NoSchedule" }]);
      const requirement = (key: string) => nodePool.template.spec.requirements.find((r: any) => r.key === key)?.values;
      expect(requirement("karpenter.sh/capacity-type")).toEqual([pool.capacityType]);
      expect(requirement("karpenter.k8s.aws/instance-family")).toEqual([...new Set(pool.instanceTypes.map((t) => t.split(".")[0]))]);
      expect(requirement("karpenter.k8s.aws/instance-size")).toEqual(["xlarge"].filter((s) => pool.instanceTypes.some((t) => t.endsWith(`.${s}`))).concat(pool.instanceTypes.some((t) => t.endsWith(".large")) ? ["large"] : []));
      expect(nodePool.limits.cpu).toBe(String(pool.maxSize * (pool.instanceTypes[0].endsWith(".xlarge") ? 4 : 2)));
      expect(nodePool.disruption.consolidationPolicy).toBe("WhenEmptyOrUnderutilized");
      // Without expiry set, "Never": the default 720h would force-drain nodes whose runs may not be disrupted.
      expect(nodePool.template.spec.expireAfter).toBe("Never");
      expect(nodePool.template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: pool.name });
    }
  });

  it("launches nodes from the pinned AMI release with IMDSv2, one hop, and encrypted gp3 under a key EC2 may use", () => {
    expect(karpenterAmi.kubernetesVersions).toContain(config().cluster.kubernetesVersion);
    const key = result.one("aws:kms/key:Key", "etl-karpenter-volumes");
    const keyPolicy = JSON.parse(key.inputs.policy);
    // v1.14 troubleshooting.md, "Node terminates before ready on failed encrypted EBS volume".
    expect(keyPolicy.Statement[1].Condition.StringEquals).toEqual({ "kms:ViaService": "ec2.eu-west-1.amazonaws.com", "kms:CallerAccount": "123456789012" });
    expect(keyPolicy.Statement[1].Action).toContain("kms:CreateGrant");
    const nodeRole = result.one("aws:iam/role:Role", "etl-karpenter-node");
    for (const pool of config().nodePools.batch) {
      const spec = result.one(NODE_CLASS, `etl-karpenter-${pool.name}-class`).inputs.spec;
      expect(spec.amiSelectorTerms).toEqual([{ alias: karpenterAmi.alias }]);
      expect(spec.amiSelectorTerms[0].alias).not.toMatch(/@latest$/);
      expect(spec.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(spec.blockDeviceMappings[0].ebs).toMatchObject({ volumeType: "gp3", encrypted: true, volumeSize: `${pool.diskSizeGiB}Gi`, kmsKeyID: `arn:aws:mock:eu-west-1:123456789012:Key/${key.name}` });
      expect(spec.role).toBe(nodeRole.inputs.name ?? nodeRole.name);
      expect(spec.subnetSelectorTerms).toEqual([{ tags: { "karpenter.sh/discovery": config().cluster.name } }]);
      expect(spec.securityGroupSelectorTerms).toEqual(spec.subnetSelectorTerms);
    }
    const tags = result.ofType("aws:ec2/tag:Tag").filter((t) => t.name.startsWith("etl-karpenter-"));
    expect(tags.map((t) => t.inputs.resourceId).sort()).toEqual([...result.outputs.privateSubnetIds, "sg-etl-cluster"].sort());
    for (const tag of tags) expect(tag.inputs).toMatchObject({ key: "karpenter.sh/discovery", value: config().cluster.name });
    const accessEntry = result.one("aws:eks/accessEntry:AccessEntry", "etl-karpenter-node");
    expect(accessEntry.inputs).toMatchObject({ type: "EC2_LINUX", principalArn: `arn:aws:mock:eu-west-1:123456789012:Role/${nodeRole.name}` });
    // The EKS API objects wait for the cluster: their clusterName is its output, not the config's string.
    const cluster = result.one("eks:index:Cluster", "etl-cluster");
    for (const [type, name] of [["aws:eks/accessEntry:AccessEntry", "etl-karpenter-node"], ["aws:eks/podIdentityAssociation:PodIdentityAssociation", "etl-karpenter-controller"], ["aws:eks/addon:Addon", "etl-karpenter-pod-identity-agent"]]) {
      expect({ name, dependsOnCluster: result.one(type, name).propertyDependencies.clusterName?.includes(cluster.urn) }).toEqual({ name, dependsOnCluster: true });
    }
  });

  it("protects every batch run from consolidation and drift for its deadline", () => {
    const cronJobs = result.ofType("kubernetes:batch/v1:CronJob");
    expect(cronJobs.length).toBeGreaterThan(0);
    for (const { inputs } of cronJobs) {
      const job = inputs.spec.jobTemplate.spec;
      expect(job.template.metadata.annotations).toEqual({ [DO_NOT_DISRUPT]: `${job.activeDeadlineSeconds}s` });
    }
    // Streaming consumers are not runs: consolidation may move them, and their PodDisruptionBudget paces it.
    const consumers = result.ofType("kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.labels?.[PIPELINE_LABEL]);
    if (stack === "staging") expect(consumers.length).toBeGreaterThan(0);
    for (const { inputs } of consumers) {
      expect(inputs.spec.template.metadata.annotations?.[DO_NOT_DISRUPT]).toBeUndefined();
      const budgets = result.ofType("kubernetes:policy/v1:PodDisruptionBudget").filter((b) => b.inputs.metadata.namespace === inputs.metadata.namespace && b.inputs.spec.selector.matchLabels?.[PIPELINE_LABEL] === inputs.metadata.labels[PIPELINE_LABEL]);
      expect(budgets).toHaveLength(1);
    }
    // The restore drill's workflow runs on the system pool, which Karpenter does not manage.
    for (const { inputs } of result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow").filter((w) => w.inputs.metadata.labels?.[PIPELINE_LABEL])) {
      const workflow = inputs.spec.workflowSpec;
      expect(workflow.podMetadata.annotations).toEqual({ [DO_NOT_DISRUPT]: `${workflow.activeDeadlineSeconds}s` });
    }
  });

  it("shows Karpenter's dashboard in place of the cluster autoscaler's, from series that exist", () => {
    const known: Record<string, string[]> = {};
    for (const exporter of Object.values(exporters())) Object.assign(known, exporter.metrics);
    const map = result.one("kubernetes:core/v1:ConfigMap", "etl-monitoring-dashboard-etl-autoscaler");
    const json = JSON.parse(Object.values(map.inputs.data)[0] as string);
    expect(json.title).toBe("ETL / Karpenter");
    for (const panel of json.panels) {
      for (const { metric, labels } of selectors(panel.targets[0].expr)) {
        expect({ metric, known: metric in known, unknown: labels.filter((label) => !(known[metric] ?? []).includes(label)) }).toEqual({ metric, known: true, unknown: [] });
      }
    }
    // The grouping labels of `count by (...)` are node labels kube-state-metrics exports (allow-listed).
    expect(known.kube_node_labels).toEqual(expect.arrayContaining(["label_etl_platform_pool", "label_etl_platform_capacity"]));
  });

  it("alerts on Karpenter's own series, not the cluster autoscaler's", () => {
    const known: Record<string, string[]> = {};
    for (const exporter of Object.values(exporters())) Object.assign(known, exporter.metrics);
    const rules = result.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule").flatMap((r) => r.inputs.spec.groups).filter((g: any) => g.name === "capacity").flatMap((g: any) => g.rules);
    expect(rules.map((r: any) => r.alert).sort()).toEqual(["BatchPodsUnschedulable", "SpotCapacityLost"]);
    for (const rule of rules) {
      for (const { metric, labels } of selectors(rule.expr)) {
        expect(metric).not.toMatch(/^cluster_autoscaler_/);
        expect({ metric, unknown: labels.filter((label) => !(known[metric] ?? []).includes(label)) }).toEqual({ metric, unknown: [] });
      }
    }
  });
});

describe("the default stacks keep the cluster autoscaler", () => {
  it.each(["staging", "prod"])("%s: no Karpenter resource, no do-not-disrupt annotation", async (stack) => {
    const result = await plan(stack);
    expect(result.all.filter((r) => r.name.includes("karpenter"))).toEqual([]);
    for (const { inputs } of result.ofType("kubernetes:batch/v1:CronJob")) expect(inputs.spec.jobTemplate.spec.template.metadata.annotations).toBeUndefined();
    expect(result.ofType(RELEASE).filter((r) => r.inputs.chart === "cluster-autoscaler")).toHaveLength(1);
  }, 120_000);
});

describe("the pinned versions", () => {
  it("pins an AMI release that has an AL2023 AMI for every Kubernetes version of versions.ts", () => {
    expect(karpenterAmi.alias).toMatch(/^al2023@v\d{8}$/);
    for (const version of supportedKubernetesVersions) expect(karpenterAmi.kubernetesVersions).toContain(version);
  });

  it("has the fixture of the pinned chart version (the tag's Chart.yaml says 1.13.0: the release script sets it)", () => {
    const chart = parseYaml(fs.readFileSync(path.join(FIXTURE, "Chart.yaml"), "utf8"));
    expect(chart.name).toBe(charts.karpenter.chart);
    expect(fs.existsSync(path.join(UPSTREAM, `karpenter-${charts.karpenter.version}`))).toBe(true);
  });

  it("the controller policies name the documented requirement keys and tag scopes", () => {
    const policies = controllerPolicies({ partition: "aws", region: "eu-west-1", accountId: "1", clusterName: "c", nodeRoleArn: "arn:aws:iam::1:role/n", interruptionQueueArn: "arn:aws:sqs:eu-west-1:1:c" });
    const text = JSON.stringify(policies);
    for (const scope of ["aws:ResourceTag/kubernetes.io/cluster/c", "aws:RequestTag/karpenter.sh/nodepool", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass", "iam:PassedToService"]) expect(text).toContain(scope);
    // Deleting instances only of this cluster's NodePools.
    const deletion = policies.NodeLifecycle.Statement.find((s) => s.Sid === "AllowScopedDeletion")!;
    expect(deletion.Condition).toEqual({ StringEquals: { "aws:ResourceTag/kubernetes.io/cluster/c": "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } });
    expect(allows(controllerBoundaryPolicy("arn:aws:iam::1:role/n"), "sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:1:c")).toBe(true);
  });

  it("the capacity alerts of each engine parse under promtool", () => {
    for (const engine of ["cluster-autoscaler", "karpenter"] as const) {
      expect(checkRules({ capacity: prometheusRuleSpec(capacityAlertRules(engine)) }).ok).toBe(true);
    }
  });
});

describe("config of the engine", () => {
  const raw = (stack: "staging" | "prod", sections: Record<string, unknown>) => {
    const settings = withConfig(karpenterStack(stack), sections);
    return Object.fromEntries(Object.entries(settings.config).filter(([key]) => key.startsWith("etl-platform:")).map(([key, value]) => {
      try {
        return [key.slice("etl-platform:".length), JSON.parse(value)];
      } catch {
        return [key.slice("etl-platform:".length), value];
      }
    }));
  };
  const base = (stack: "staging" | "prod") => raw(stack, {});

  it("accepts the Karpenter variants of both stacks", () => {
    expect(configProblems(base("staging"))).toEqual([]);
    expect(configProblems(base("prod"))).toEqual([]);
  });

  it("pins the Pod Identity agent add-on for every supported version, and warns, without stopping, for one left unpinned", () => {
    const { karpenterWarnings } = require("../config/karpenter") as typeof import("../config/karpenter");
    // awslabs/cdk-eks-blueprints lib/addons/eks-pod-identity-agent/index.ts (commit 0b82904e): v1.3.10-eksbuild.2 for 1.31–1.35.
    for (const version of supportedKubernetesVersions) expect([version, podIdentityAgentVersions[version]]).toEqual([version, expect.stringMatching(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/)]);
    const karpenter = parsePlatformConfig(base("prod"));
    expect(karpenterWarnings(karpenter)).toEqual([]);
    expect(karpenterWarnings(karpenter, {})).toEqual([expect.stringContaining(`pins no eks-pod-identity-agent add-on for Kubernetes ${karpenter.cluster.kubernetesVersion}`)]);
    expect(karpenterWarnings({ ...karpenter, autoscaler: { ...karpenter.autoscaler, engine: "cluster-autoscaler" } }, {})).toEqual([]);
  });

  it("refuses Karpenter on target: kubernetes, naming the key once", () => {
    const local = Object.fromEntries(Object.entries(stackSettings("local").config).filter(([key]) => key.startsWith("etl-platform:")).map(([key, value]) => [key.slice(13), (() => { try { return JSON.parse(value); } catch { return value; } })()]));
    expect(configProblems({ ...local, autoscaler: { engine: "karpenter" } })).toEqual([
      "etl-platform:autoscaler.engine: expected nothing on target: kubernetes (Karpenter launches EC2 instances for an EKS cluster); remove it, or set target: aws",
    ]);
  });

  it("refuses the options of the other engine, naming each key", () => {
    expect(configProblems(raw("staging", { autoscaler: { engine: "karpenter", scaleDownUnneededTime: "5m" } }))).toEqual([
      "etl-platform:autoscaler.scaleDownUnneededTime: expected nothing with engine karpenter (a cluster autoscaler flag; Karpenter's own settings are under autoscaler.karpenter)",
    ]);
    const caPools = { ...base("staging").nodePools, batch: [{ name: "batch", instanceTypes: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"], minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 50, onDemandFallback: true }] };
    expect(configProblems(raw("staging", { autoscaler: { karpenter: { replicas: 2 } }, nodePools: caPools }))).toEqual([
      'etl-platform:autoscaler.karpenter: expected nothing with engine "cluster-autoscaler" (Karpenter\'s settings); set autoscaler.engine: karpenter, or remove it',
      'etl-platform:nodePools.batch[0].onDemandFallback: expected nothing with engine "cluster-autoscaler" (Karpenter only: it picks instances per pod from requirements); set autoscaler.engine: karpenter, or remove it',
    ]);
  });

  it("needs fixed system and stateful groups, a system node per replica, and starts batch pools at zero", () => {
    const pools = base("staging").nodePools;
    const problems = configProblems(raw("staging", {
      nodePools: { ...pools, system: { ...pools.system, maxSize: 4 }, stateful: { ...pools.stateful, minSize: 0 }, batch: [{ ...pools.batch?.[0] ?? { name: "batch", instanceTypes: ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"], minSize: 0, maxSize: 5, diskSizeGiB: 50 }, desiredSize: 1 }] },
      autoscaler: { engine: "karpenter", karpenter: { replicas: 3 } },
    }));
    expect(problems).toEqual([
      "etl-platform:nodePools.system.maxSize: expected 2 (desiredSize) with engine karpenter: Karpenter manages only the batch pools, so nothing scales this node group; got 4",
      "etl-platform:nodePools.stateful.minSize: expected 1 (desiredSize) with engine karpenter: Karpenter manages only the batch pools, so nothing scales this node group; got 0",
      "etl-platform:autoscaler.karpenter.replicas: expected at most 2 (nodePools.system.desiredSize: the chart's required pod anti-affinity puts each replica on its own system node), got 3",
      "etl-platform:nodePools.batch[0].desiredSize: expected 0 with engine karpenter (it launches a node only for a pending pod), got 1",
    ]);
  });

  it("needs a grace period with expiry, at least the longest batch deadline (prod's longest run: 7200 s)", () => {
    const longest = Math.max(...base("prod").pipelines.filter((p: any) => (p.placement ?? "spot") === "spot").map((p: any) => p.activeDeadlineSeconds ?? 3600));
    expect(configProblems(raw("prod", { autoscaler: { engine: "karpenter", karpenter: { expireAfter: "720h" } } }))).toEqual([
      "etl-platform:autoscaler.karpenter.terminationGracePeriod: expected a duration with expireAfter 720h (without it an expiring node waits forever for the batch pods it may not disrupt), got nothing",
    ]);
    expect(configProblems(raw("prod", { autoscaler: { engine: "karpenter", karpenter: { expireAfter: "720h", terminationGracePeriod: `${longest - 1}s` } } }))).toEqual([
      `etl-platform:autoscaler.karpenter.terminationGracePeriod: expected at least ${longest}s (the longest activeDeadlineSeconds of the pipelines on the batch pools: a shorter grace period deletes a run that is still within its deadline), got ${longest - 1}s`,
    ]);
    expect(configProblems(raw("prod", { autoscaler: { engine: "karpenter", karpenter: { expireAfter: "720h", terminationGracePeriod: `${longest}s` } } }))).toEqual([]);
  });

  it("refuses engine karpenter disabled, a fallback on an on-demand pool, generations without categories", () => {
    const pools = base("staging").nodePools;
    const problems = configProblems(raw("staging", {
      autoscaler: { engine: "karpenter", enabled: false },
      nodePools: { ...pools, batch: [{ name: "od", capacityType: "on-demand", instanceTypes: ["m6i.large"], minSize: 0, desiredSize: 0, maxSize: 2, diskSizeGiB: 50, onDemandFallback: true, instanceGenerations: [6] }] },
    }));
    expect(problems).toEqual(expect.arrayContaining([
      "etl-platform:autoscaler.enabled: expected true with engine karpenter (nothing else adds batch nodes), got false",
      "etl-platform:nodePools.batch[0].onDemandFallback: expected nothing on an on-demand pool (a fallback from spot to on-demand), got true",
      "etl-platform:nodePools.batch[0].instanceGenerations: expected it only with instanceCategories (the instance types' families already fix their generation)",
    ]));
  });
});

describe("the cost of a Karpenter pool", () => {
  const { priceSnapshot, regionPrices } = require("../cost/prices") as typeof import("../cost/prices");
  const { allowedTypes, consolidateAfterHours, priceNodePools } = require("../cost/karpenterPools") as typeof import("../cost/karpenterPools");
  const { quotaNeeds } = require("../plan/quotas") as typeof import("../plan/quotas");
  const region = regionPrices(priceSnapshot(), "eu-west-1");
  const context = { region, regionName: "eu-west-1", poolKey: (pool: string) => `etl-platform:nodePools (pool ${pool})` };
  const requirements = (extra: { key: string; operator: string; values?: string[] }[]): { key: string; operator: string; values?: string[] }[] => [{ key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }, ...extra, { key: "karpenter.k8s.aws/instance-size", operator: "In", values: ["xlarge"] }];
  const nodePool = (reqs: object[], cpu = "20", consolidateAfter = "1m") => ({
    type: "kubernetes:karpenter.sh/v1:NodePool", name: "np",
    inputs: { spec: { template: { metadata: { labels: { [POOL_LABEL]: "batch" } }, spec: { nodeClassRef: { name: "batch" }, taints: [{ key: "etl-platform/batch" }], requirements: reqs } }, disruption: { consolidateAfter }, limits: { cpu } } },
  });
  const nodeClass = { type: "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", name: "c", inputs: { metadata: { name: "batch" }, spec: { blockDeviceMappings: [{ ebs: { volumeSize: "80Gi" } }] } } };

  it("allows the types of the requirements that the snapshot prices: families and sizes, or categories and generations", () => {
    expect(allowedTypes(requirements([{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m6i", "m5"] }]), region).sort()).toEqual(["m5.xlarge", "m6i.xlarge"]);
    const wide = allowedTypes(requirements([{ key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m"] }, { key: "karpenter.k8s.aws/instance-generation", operator: "In", values: ["7"] }]), region);
    expect(wide.length).toBeGreaterThan(2);
    for (const type of wide) expect(type).toMatch(/^[cm]7[a-z]*\.xlarge$/);
  });

  it("has a floor of zero, a ceiling from limits.cpu, and runs priced at the dear end of the allowed types' spot prices", () => {
    const families = [{ key: "karpenter.k8s.aws/instance-family", operator: "In", values: ["m6i", "m6a", "m5", "m7i"] }];
    const [pool] = priceNodePools([nodePool(requirements(families)), nodeClass], context);
    expect(pool).toMatchObject({ minSize: 0, desiredSize: 0, maxSize: 5, diskGiB: 80, capacityType: "SPOT", batch: true, pool: "batch" });
    const spotHours = pool.instanceTypes.map((type) => region.onDemand[type] * (1 - region.spotSavings[type] / 100));
    expect(pool.nodeHour).toBeCloseTo(Math.max(...spotHours), 6);
    expect(pool.interruption!.map((entry) => entry.band)).toEqual(pool.instanceTypes.map((type) => region.spotInterruption[type]));
    // A changed limit moves the ceiling; an on-demand fallback makes on-demand the dear end.
    expect(priceNodePools([nodePool(requirements(families), "40"), nodeClass], context)[0].maxSize).toBe(10);
    const fallback = requirements(families).map((r: any) => (r.key === "karpenter.sh/capacity-type" ? { ...r, values: ["spot", "on-demand"] } : r));
    expect(priceNodePools([nodePool(fallback), nodeClass], context)[0].nodeHour).toBe(Math.max(...pool.instanceTypes.map((type) => region.onDemand[type])));
  });

  it("keeps a node after its last pod for consolidateAfter, and counts limits.cpu against the vCPU quota of its capacity types", () => {
    expect(consolidateAfterHours([nodePool([], "20", "30m") as any, nodePool([], "20", "90s") as any])).toBe(0.5);
    expect(consolidateAfterHours([])).toBeUndefined();
    const needs = quotaNeeds([nodePool(requirements([]), "80") as any]);
    expect(needs.map((need) => [need.code, need.needed])).toEqual([["L-34B43A08", 80]]);
  });
});

describe("the upgrade diff of Karpenter's kinds", () => {
  const { diffPlans } = require("../diff/planDiff") as typeof import("../diff/planDiff");
  const { replaceRule } = require("../diff/replaceRules") as typeof import("../diff/replaceRules");
  const ROOT_URN = "urn:pulumi:prod::etl-platform::pulumi:pulumi:Stack::etl-platform-prod";
  const pair = (type: string, before: Record<string, any>, after: Record<string, any>) =>
    diffPlans([{ type, name: "x", parent: ROOT_URN, protect: false, inputs: before }], [{ type, name: "x", parent: ROOT_URN, protect: false, inputs: after, urn: "urn:x", propertyDependencies: {} }], { headDir: path.join(__dirname, "..") })[0];

  it("knows every type the Karpenter variants declare", async () => {
    for (const stack of ["staging", "prod"] as const) {
      const types = new Set((await plan(stack, karpenterStack(stack))).all.map((resource) => resource.type));
      expect([...types].filter((type) => !replaceRule(type))).toEqual([]);
    }
  }, 120_000);

  it("shows the switch from the cluster autoscaler as docs/operations.md says: deletions of its node groups and release as cautions, no danger", async () => {
    const { headResources } = require("../diff/command") as typeof import("../diff/command");
    const toBase = (resources: ReturnType<typeof headResources>) => resources.map(({ type, name, parent, inputs, protect }) => JSON.parse(JSON.stringify({ type, name, parent, inputs, protect })));
    const base = toBase(headResources(await plan("staging")));
    const changes = diffPlans(base, headResources(await plan("staging", karpenterStack("staging"))), { headDir: path.join(__dirname, "..") });
    expect(changes.filter((change) => change.risk === "danger")).toEqual([]);
    const deleted = changes.filter((change) => change.action === "delete").map((change) => `${change.type} ${change.name}`);
    expect(deleted).toEqual(expect.arrayContaining(["aws:eks/nodeGroup:NodeGroup etl-nodes-batch", "aws:eks/nodeGroup:NodeGroup etl-nodes-batch-ondemand", "kubernetes:helm.sh/v3:Release etl-autoscaler"]));
    for (const change of changes.filter((c) => c.action === "delete")) expect(change.risk).toBe("caution");
    const created = changes.filter((change) => change.action === "create").map((change) => change.type);
    expect(created).toEqual(expect.arrayContaining([NODE_POOL, NODE_CLASS, RELEASE, "aws:sqs/queue:Queue"]));
    // The system and stateful groups are updated in place (their min and max), never replaced.
    expect(changes.filter((change) => change.type === "aws:eks/nodeGroup:NodeGroup" && change.action !== "delete").map((change) => change.action)).toEqual(["update", "update"]);
  }, 120_000);

  it("replaces a NodePool or EC2NodeClass on a new name; a class's spec change drifts every node: caution", () => {
    const nodeClass = { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "batch" }, spec: { amiSelectorTerms: [{ alias: "al2023@v20260714" }] } };
    expect(pair(NODE_CLASS, nodeClass, { ...nodeClass, metadata: { name: "batch2" } })).toMatchObject({ action: "replace" });
    expect(pair(NODE_CLASS, nodeClass, { ...nodeClass, spec: { amiSelectorTerms: [{ alias: "al2023@v20260801" }] } })).toMatchObject({ action: "update", risk: "caution" });
    const nodePool = { apiVersion: "karpenter.sh/v1", kind: "NodePool", metadata: { name: "batch" }, spec: { template: { spec: { expireAfter: "Never" } }, limits: { cpu: "20" } } };
    expect(pair(NODE_POOL, nodePool, { ...nodePool, spec: { ...nodePool.spec, limits: { cpu: "40" } } })).toMatchObject({ action: "update", risk: "safe" });
    expect(pair(NODE_POOL, nodePool, { ...nodePool, spec: { ...nodePool.spec, template: { spec: { expireAfter: "720h" } } } })).toMatchObject({ action: "update", risk: "caution" });
  });
});

describe.each(["staging", "prod"] as const)("the policy pack on the Karpenter variant of %s", (stack) => {
  const { rules } = require("../policy/rules") as typeof import("../policy/rules");
  const { asPolicyResources, violations } = require("./policyResources") as typeof import("./policyResources");

  it("finds no mandatory violation, and the Karpenter rules have something to check", async () => {
    const resources = asPolicyResources(await plan(stack, karpenterStack(stack)));
    const mandatory = rules.filter((rule) => rule.level[stack] === "mandatory");
    expect(mandatory.flatMap((rule) => violations(rule, resources).map((v) => `${rule.name}: ${v}`))).toEqual([]);
    expect(resources.filter((r) => r.type === NODE_CLASS || r.type === NODE_POOL).length).toBeGreaterThanOrEqual(4);
    // Without the annotation (the cluster autoscaler's pods), the rule fires on the same stack.
    const unprotected = resources.map((r) => (r.type === "kubernetes:batch/v1:CronJob" ? { ...r, props: JSON.parse(JSON.stringify(r.props).replaceAll(DO_NOT_DISRUPT, "x")) } : r));
    expect(violations(rules.find((rule) => rule.name === "karpenter-batch-runs-protected")!, unprotected).length).toBeGreaterThan(0);
  }, 120_000);
});

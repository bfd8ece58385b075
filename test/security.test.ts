/** Controls against the paths an attacker or an operator mistake could use (issue: least privilege under attack). */
import { planDocument } from "../plan/document";
import { restrictedViolations } from "./runtime/podSecurity";
import { plan, STACK_NAMES, stackSettings, SECRET_VALUES } from "./harness";
import { variants } from "./variants";

describe.each(STACK_NAMES)("security controls of %s", (stack) => {
  it("kube-system warns and audits at baseline, without enforcing (EKS's DaemonSets there are privileged)", async () => {
    const result = await plan(stack);
    const patch = result.one("kubernetes:core/v1:NamespacePatch", "etl-kube-system-pod-security").inputs;
    expect(patch.metadata).toEqual({ name: "kube-system", labels: { "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/audit": "baseline" } });
    expect(patch.metadata.labels).not.toHaveProperty("pod-security.kubernetes.io/enforce");
  });
});

describe.each(STACK_NAMES)("Argo confined to the pipelines namespace in %s", (stack) => {
  const RELEASE = "kubernetes:helm.sh/v3:Release";
  let result: Awaited<ReturnType<typeof plan>>;
  beforeAll(async () => {
    result = await plan(stack);
  });

  it("runs namespaced, watching only pipelines, with none of the chart's cluster-wide RBAC", () => {
    const values = result.one(RELEASE, "etl-argo").inputs.values;
    // argo-helm 1.0.18: singleNamespace adds --namespaced (templates/controller/workflow-controller-deployment.yaml,
    // server/server-deployment.yaml); rbac.create false renders no (Cluster)Role or binding
    // (workflow-controller-cluster-roles.yaml, -crb.yaml, server-cluster-roles.yaml, server-crb.yaml);
    // clusterWorkflowTemplates.enabled false renders no -cluster-template ClusterRole.
    expect(values.singleNamespace).toBe(true);
    for (const component of [values.controller, values.server]) {
      expect(component.extraArgs).toEqual(["--managed-namespace", "pipelines"]);
      expect(component.rbac).toEqual({ create: false });
      expect(component.clusterWorkflowTemplates).toEqual({ enabled: false });
    }
    expect(values.workflow.rbac.create).toBe(false);
    expect(result.all.filter((r) => /ClusterRole/.test(r.type) && /argo/.test(JSON.stringify(r.inputs)))).toEqual([]);
  });

  /** What an account may do in a namespace through the Roles the program binds to it. */
  const can = (account: string, accountNamespace: string, namespace: string, verb: string, resource: string, name?: string) => {
    const bindings = result.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").map((b) => b.inputs)
      .filter((b) => b.metadata.namespace === namespace && b.subjects.some((s: any) => s.kind === "ServiceAccount" && s.name === account && s.namespace === accountNamespace));
    const roles = result.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").map((r) => r.inputs)
      .filter((r) => r.metadata.namespace === namespace && bindings.some((b) => b.roleRef.name === r.metadata.name));
    return roles.some((role) => role.rules.some((rule: any) => rule.resources.includes(resource) && rule.verbs.includes(verb) && (!rule.resourceNames || (name !== undefined && rule.resourceNames.includes(name)))));
  };

  it("gives no Argo account Secret access beyond named Secrets, and pods only to the controller in pipelines", () => {
    for (const namespace of ["pipelines", "argo", "kube-system", "postgres"]) {
      expect({ namespace, server: can("argo-server", "argo", namespace, "get", "secrets", "etl-app") }).toEqual({ namespace, server: false });
      expect({ namespace, operator: can("argo-operator", "pipelines", namespace, "get", "secrets", "etl-app") }).toEqual({ namespace, operator: false });
      expect({ namespace, controllerAnySecret: can("argo-workflows-workflow-controller", "argo", namespace, "get", "secrets", "some-secret") }).toEqual({ namespace, controllerAnySecret: false });
      expect({ namespace, operatorPods: can("argo-operator", "pipelines", namespace, "create", "pods") }).toEqual({ namespace, operatorPods: false });
      expect({ namespace, controllerPods: can("argo-workflows-workflow-controller", "argo", namespace, "create", "pods") }).toEqual({ namespace, controllerPods: namespace === "pipelines" });
    }
    expect(can("argo-operator", "pipelines", "pipelines", "create", "workflows")).toBe(true);
    expect(can("argo-operator", "pipelines", "pipelines", "get", "pods/log")).toBe(true);
    expect(can("argo-workflows-workflow-controller", "argo", "argo", "update", "leases", "workflow-controller")).toBe(true);
  });

  it("admits a workflow only as a steps pipeline's account or the drill's, with Argo's executor account (CEL, @bufbuild/cel)", () => {
    const { run } = require("@bufbuild/cel") as typeof import("@bufbuild/cel");
    const policy = (resource: string) => result.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", `etl-argo-access-${resource}`).inputs;
    const binding = result.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "etl-argo-access-workflows").inputs;
    expect(binding.spec).toEqual({ policyName: "etl-workflows-service-accounts", validationActions: ["Deny"] });
    const admits = (resource: string, object: Record<string, unknown>) => policy(resource).spec.validations.every((v: any) => run(v.expression, { object: object as any }) === true);
    const cronWorkflows = result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow").map((w) => w.inputs);
    expect(cronWorkflows.length).toBeGreaterThan(0);
    for (const cron of cronWorkflows) {
      const object = { apiVersion: cron.apiVersion, kind: "CronWorkflow", metadata: cron.metadata, spec: cron.spec };
      expect({ cron: cron.metadata.name, admitted: admits("cronworkflows", object) }).toEqual({ cron: cron.metadata.name, admitted: true });
      // The controller creates each run as a Workflow with the CronWorkflow's workflowSpec.
      expect(admits("workflows", { kind: "Workflow", metadata: { name: "x" }, spec: cron.spec.workflowSpec })).toBe(true);
    }
    const spec = cronWorkflows[0].spec.workflowSpec;
    for (const serviceAccountName of ["default", "argo-server", "argo-executor", "restore-drill-x", "etl-app"]) {
      expect({ serviceAccountName, admitted: admits("workflows", { kind: "Workflow", spec: { ...spec, serviceAccountName } }) }).toEqual({ serviceAccountName, admitted: false });
    }
    const withoutAccount = { ...spec };
    delete withoutAccount.serviceAccountName;
    expect(admits("workflows", { kind: "Workflow", spec: withoutAccount })).toBe(false);
    expect(admits("workflows", { kind: "Workflow", spec: { ...spec, executor: { serviceAccountName: "default" } } })).toBe(false);
  });
});

describe("backups that an admin mistake cannot erase (prod)", () => {
  it("protects every setting of the backup bucket, keeps versioning, lifecycle and policy on a delete, and locks versions for the retention", async () => {
    const result = await plan("prod");
    const children = result.all.filter((r) => r.type.startsWith("aws:s3/") && r.name === "etl-postgres-backups");
    expect(children.map((r) => r.type.split(":")[2]).sort()).toEqual([
      "Bucket", "BucketLifecycleConfiguration", "BucketLogging", "BucketObjectLockConfiguration", "BucketOwnershipControls", "BucketPolicy",
      "BucketPublicAccessBlock", "BucketServerSideEncryptionConfiguration", "BucketVersioning",
    ]);
    for (const child of children) expect({ type: child.type, protect: child.protect }).toEqual({ type: child.type, protect: true });
    const kept = children.filter((r) => r.retainOnDelete).map((r) => r.type.split(":")[2]).sort();
    expect(kept).toEqual(["BucketLifecycleConfiguration", "BucketObjectLockConfiguration", "BucketPolicy", "BucketVersioning"]);
    const lock = result.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "etl-postgres-backups").inputs;
    const retention = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "etl-postgres-backups").inputs.rules[0].noncurrentVersionExpiration.noncurrentDays;
    expect(lock).toMatchObject({ objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "GOVERNANCE" } } });
    // The backup retention: as long as the lifecycle keeps noncurrent versions, so the expiry never meets a lock.
    expect(lock.rule.defaultRetention.days).toBe(retention);
    expect(retention).toBeGreaterThanOrEqual(7);
  });

  it("staging's buckets stay deletable: no lock, no protection", async () => {
    const result = await plan("staging");
    expect(result.ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).toEqual([]);
    expect(result.one("aws:s3/bucketVersioning:BucketVersioning", "etl-postgres-backups").protect).toBe(false);
  });
});

describe.each(["staging", "prod"])("\"no internet\" holds on AWS in %s", (stack) => {
  it("keeps S3 in the account's own buckets, the pipelines' declared ones and ECR's layers; STS in the VPC", async () => {
    const result = await plan(stack);
    const endpoint = result.one("aws:ec2/vpcEndpoint:VpcEndpoint", "etl-network-s3").inputs;
    const policy = JSON.parse(endpoint.policy);
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual(["OwnBuckets", "DeclaredBuckets", "EcrImageLayers"]);
    expect(policy.Statement[0].Condition).toEqual({ StringEquals: { "aws:ResourceAccount": "123456789012" } });
    // The stack files' pipelines declare acme-data-lake and acme-partner-exports.
    expect(policy.Statement[1].Resource).toEqual(expect.arrayContaining(["arn:aws:s3:::acme-data-lake/*", "arn:aws:s3:::acme-partner-exports/*"]));
    expect(policy.Statement[2]).toMatchObject({ Action: "s3:GetObject", Resource: "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*" });
    const sts = result.one("aws:ec2/vpcEndpoint:VpcEndpoint", "etl-network-sts").inputs;
    expect(sts).toMatchObject({ vpcEndpointType: "Interface", privateDnsEnabled: true, serviceName: "com.amazonaws.eu-west-1.sts" });
    // Only the pipelines that declare `internet` name the public internet, and never the private ranges.
    const declared = JSON.parse(stackSettings(stack).config["etl-platform:pipelines"]).filter((p: any) => p.internet).map((p: any) => p.name).sort();
    const open = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => JSON.stringify(p.inputs.spec).includes("0.0.0.0/0")).map((p) => p.inputs.metadata.name).sort();
    expect(open).toEqual(declared);
  });
});

describe("Grafana and kube-state-metrics see no more than they show", () => {
  it("Grafana's sidecars read only the monitoring namespace (a Role, not a ClusterRole)", async () => {
    const grafana = (await plan("staging")).one("kubernetes:helm.sh/v3:Release", "etl-monitoring").inputs.values.grafana;
    // grafana chart 12.11.1 values.yaml: rbac.namespaced renders a Role; a null searchNamespace is the release's namespace.
    expect(grafana.rbac).toEqual({ namespaced: true });
    expect(grafana.sidecar.dashboards.searchNamespace).toBeNull();
    expect(grafana.sidecar.datasources?.searchNamespace ?? null).toBeNull();
  });
});

describe.each(["staging", "prod"])("the VPC CNI's permissions in %s", (stack) => {
  it("are on the aws-node account's own role, not on the nodes' role", async () => {
    const result = await plan(stack);
    const nodePolicies = result.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith("etl-nodes-node-")).map((a) => a.inputs.policyArn).sort();
    expect(nodePolicies).toEqual(["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]);
    const cni = result.one("aws:eks/addon:Addon", "etl-cluster-vpc-cni").inputs;
    expect(cni.serviceAccountRoleArn).toContain("etl-cluster-vpc-cni");
    const trust = JSON.stringify(JSON.parse(result.one("aws:iam/role:Role", "etl-cluster-vpc-cni").inputs.assumeRolePolicy).Statement[0].Condition);
    expect(trust).toContain("system:serviceaccount:kube-system:aws-node");
    expect(result.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "etl-cluster-vpc-cni-0").inputs.policyArn).toBe("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy");
  });
});

describe.each(["staging", "prod"])("permissions boundary in %s", (stack) => {
  it("caps every role the program creates: its services, never identities, key deletion, bucket protection or logs", async () => {
    const { allows } = require("./runtime/iam") as typeof import("./runtime/iam");
    const result = await plan(stack);
    const boundary = result.one("aws:iam/policy:Policy", "etl-permissions-boundary");
    const roles = result.ofType("aws:iam/role:Role");
    expect(roles.length).toBeGreaterThan(8);
    for (const role of roles) expect({ role: role.name, boundary: role.inputs.permissionsBoundary }).toEqual({ role: role.name, boundary: expect.stringContaining("etl-permissions-boundary") });
    const document = JSON.parse(boundary.inputs.policy);
    // [action, allowed under the boundary, what it stands for]
    const table: [string, boolean][] = [
      ["s3:PutObject", true], ["logs:PutLogEvents", true], ["ec2:AssignPrivateIpAddresses", true], ["autoscaling:SetDesiredCapacity", true], ["xray:PutTraceSegments", true],
      ["iam:CreateRole", false], ["iam:PassRole", false], ["kms:ScheduleKeyDeletion", false], ["kms:PutKeyPolicy", false],
      ["s3:PutBucketVersioning", false], ["s3:BypassGovernanceRetention", false], ["s3:DeleteBucket", false], ["logs:DeleteLogGroup", false],
      ["cloudtrail:StopLogging", false], ["dynamodb:PutItem", false], ["secretsmanager:GetSecretValue", false],
    ];
    for (const [action, expected] of table) expect({ action, allowed: allows(document, action, "arn:aws:s3:::x") }).toEqual({ action, allowed: expected });
  });

  it("reaches pulumi-eks's own service role through a transform on the cluster component", async () => {
    // pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts creates `${name}-eksRole` (an aws:iam/role:Role in its
    // ServiceRole component) when no serviceRole is given: only an engine-run transform reaches it.
    const result = await plan(stack);
    const cluster = result.one("eks:index:Cluster", "etl-cluster");
    expect(cluster.inputs.serviceRole).toBeUndefined();
    expect(cluster.transforms).toBe(1);
    expect(result.all.filter((resource) => resource.transforms).map((resource) => resource.name)).toEqual(["etl-cluster"]);
    const { boundaryTransform } = require("../components/aws/permissionsBoundary") as typeof import("../components/aws/permissionsBoundary");
    const transform = boundaryTransform("arn:aws:iam::123456789012:policy/etl-permissions-boundary");
    const role = { type: "aws:iam/role:Role", name: "etl-cluster-eksRole-role", custom: true, props: { assumeRolePolicy: "{}" }, opts: {} };
    expect(await transform(role)).toEqual({ props: { assumeRolePolicy: "{}", permissionsBoundary: "arn:aws:iam::123456789012:policy/etl-permissions-boundary" }, opts: {} });
    expect(await transform({ ...role, type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment" })).toBeUndefined();
  });
});

describe("monitoring at baseline, node-exporter alone where privileged is needed", () => {
  it("runs node-exporter in a privileged namespace of its own and enforces baseline in monitoring", async () => {
    const result = await plan("staging");
    const labels = (name: string) => result.ofType("kubernetes:core/v1:Namespace").find((ns) => ns.inputs.metadata.name === name)!.inputs.metadata.labels;
    expect(labels("monitoring")).toEqual({ "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted" });
    expect(labels("node-exporter")).toEqual({ "pod-security.kubernetes.io/enforce": "privileged" });
    // prometheus-node-exporter 4.56.1 values.yaml namespaceOverride: the DaemonSet and its ServiceMonitor go there.
    expect(result.one("kubernetes:helm.sh/v3:Release", "etl-monitoring").inputs.values["prometheus-node-exporter"]).toEqual({ namespaceOverride: "node-exporter" });
  });
});

describe("keys of the backups and the audit logs", () => {
  const guardOf = (policy: string) => JSON.parse(policy).Statement.find((s: any) => s.Sid === "OnlyBreakGlassDeletesOrDisables");

  it("in prod, only the break-glass roles may schedule their deletion or disable them (none configured: nobody)", async () => {
    const result = await plan("prod");
    const denied = { Sid: "OnlyBreakGlassDeletesOrDisables", Effect: "Deny", Principal: { AWS: "*" }, Action: ["kms:ScheduleKeyDeletion", "kms:DisableKey"], Resource: "*" };
    for (const name of ["etl-postgres-backups", "etl-audit-logs"]) expect({ name, guard: guardOf(result.one("aws:kms/key:Key", name).inputs.policy) }).toEqual({ name, guard: denied });
    const { keyDeletionGuard } = require("../components/aws/keyGuard") as typeof import("../components/aws/keyGuard");
    const breakGlass = "arn:aws:iam::123456789012:role/break-glass";
    expect(keyDeletionGuard([breakGlass])).toEqual({ ...denied, Condition: { ArnNotLike: { "aws:PrincipalArn": [breakGlass] } } });
  });

  it("in staging, and for prod's unprotected artifacts, they stay deletable (pulumi destroy schedules their deletion)", async () => {
    expect(guardOf((await plan("staging")).one("aws:kms/key:Key", "etl-postgres-backups").inputs.policy)).toBeUndefined();
    expect(guardOf((await plan("prod")).one("aws:kms/key:Key", "etl-argo-artifacts").inputs.policy)).toBeUndefined();
  });
});

describe("an alert when the protection of the backups or the audit trail changes (prod)", () => {
  it("matches the key and bucket calls CloudTrail records, to an SNS topic and every receiver, secrets kept secret", async () => {
    const webhook = SECRET_VALUES.slackWebhook;
    const settings = variants.prodWithSecrets();
    const result = await plan("prod", settings);
    const rules = Object.fromEntries(result.ofType("aws:cloudwatch/eventRule:EventRule").map((r) => [r.name, JSON.parse(r.inputs.eventPattern)]));
    expect(rules["etl-protection-alerts-keys"].detail.eventName).toEqual(["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"]);
    expect(rules["etl-protection-alerts-buckets"].detail.eventName).toEqual(expect.arrayContaining(["PutBucketVersioning", "PutBucketLifecycleConfiguration", "DeleteBucketPolicy", "PutObjectLockConfiguration"]));
    expect(rules["etl-protection-alerts-buckets"].detail.requestParameters.bucketName).toEqual([{ prefix: "postgres-backups-" }, { prefix: "access-logs-" }]);
    const targets = result.ofType("aws:cloudwatch/eventTarget:EventTarget").map((t) => t.name).sort();
    expect(targets).toEqual(["buckets-oncall", "buckets-pager", "buckets-topic", "keys-oncall", "keys-pager", "keys-topic"].map((t) => `etl-protection-alerts-${t}`));
    const pager = result.one("aws:cloudwatch/eventTarget:EventTarget", "etl-protection-alerts-keys-pager").inputs.inputTransformer;
    expect(JSON.parse(pager.inputTemplate)).toMatchObject({ routing_key: "pd-routing-key-secret", event_action: "trigger" });
    expect(result.one("aws:cloudwatch/eventApiDestination:EventApiDestination", "etl-protection-alerts-oncall").inputs.invocationEndpoint).toBe(webhook);
    // The offline plan (what a pull request shows) never prints either secret.
    const offline = JSON.stringify(planDocument(await plan("prod", settings, "plan")));
    expect(offline).not.toContain("protection-secret");
    expect(offline).not.toContain("pd-routing-key-secret");
  });

  it("is not declared in staging", async () => {
    expect((await plan("staging")).ofType("aws:cloudwatch/eventRule:EventRule")).toEqual([]);
  });
});

describe("the in-cluster object store (target: kubernetes)", () => {
  it("opens only its S3 port, only to the namespaces granted access and Argo's server; its volume is kept in prod", async () => {
    const result = await plan("local");
    const { OBJECT_STORE_NAMESPACE, seaweedValues } = require("../components/platform/inClusterObjectStore") as typeof import("../components/platform/inClusterObjectStore");
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((p) => p.inputs.metadata.namespace === OBJECT_STORE_NAMESPACE).map((p) => p.inputs);
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(["allow-s3-clients", "allow-same-namespace", "default-deny-ingress"]);
    const { allowed } = require("./runtime/networkPolicy") as typeof import("./runtime/networkPolicy");
    const store = { namespace: OBJECT_STORE_NAMESPACE, labels: result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.inputs.metadata.name === "allow-s3-clients")!.inputs.spec.podSelector.matchLabels };
    const from = (namespace: string) => ({ namespace, labels: { app: "x" } });
    // The local stack's steps pipeline archives its step logs there: the pipelines namespace is a client.
    expect(allowed(policies, { from: from("pipelines"), to: store, port: 8333 })).toBe(true);
    expect(allowed(policies, { from: from("kafka"), to: store, port: 8333 })).toBe(false);
    expect(allowed(policies, { from: from("postgres"), to: store, port: 8333 })).toBe(true);
    expect(allowed(policies, { from: from("postgres-drill"), to: store, port: 8333 })).toBe(true);
    expect(allowed(policies, { from: from("argo"), to: store, port: 8333 })).toBe(true);
    expect(allowed(policies, { from: from("postgres"), to: store, port: 9333 })).toBe(false);
    expect(allowed(policies, { from: from("kafka"), to: store, port: 8333 })).toBe(false);
    expect(allowed(policies, { from: from(OBJECT_STORE_NAMESPACE), to: store, port: 9333 })).toBe(true);
    expect(seaweedValues([], { storageClassName: "standard", size: "10Gi", keepVolume: true, identitiesDigest: "x" }).allInOne.data).toMatchObject({ annotations: { "helm.sh/resource-policy": "keep" } });
    expect(result.one("kubernetes:helm.sh/v3:Release", "etl-object-store").inputs.values.allInOne.data.annotations).toBeUndefined();
  });
});

describe("a Postgres role per pipeline", () => {
  it("declares one login role per Postgres pipeline, its password a generated basic-auth Secret CloudNativePG reloads", async () => {
    const result = await plan("staging");
    const postgresPipelines = JSON.parse(stackSettings("staging").config["etl-platform:pipelines"]).filter((p: any) => p.postgres).map((p: any) => p.name).sort();
    expect(postgresPipelines.length).toBeGreaterThan(0);
    const roles = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec.managed.roles;
    expect(roles.map((r: any) => r.name).sort()).toEqual(postgresPipelines);
    for (const role of roles) {
      expect(role).toMatchObject({ ensure: "present", login: true, superuser: false, createdb: false, createrole: false, passwordSecret: { name: `${role.name}-postgres` } });
      const secret = result.one("kubernetes:core/v1:Secret", `etl-postgres-role-${role.name}`).inputs;
      // CloudNativePG v1.30.0 (the chart's appVersion): internal/management/controller/roles/runnable.go getPassword
      // reads the Secret from the cluster's namespace and refuses it ("the username in secret ... does not match
      // role") unless its `username` is the role's name; internal/management/utils/secrets.go needs the basic-auth
      // keys `username` and `password`; pkg/utils/labels_annotations.go WatchedLabelName `cnpg.io/reload` makes the
      // instances reload it when it changes.
      expect(secret).toMatchObject({ type: "kubernetes.io/basic-auth", metadata: { namespace: "postgres", labels: { "cnpg.io/reload": "true" } }, stringData: { username: role.name } });
      expect(Object.keys(secret.stringData).sort()).toEqual(["password", "username"]);
    }
  });

  it("grants each role its declared schemas, as the owner, in a Job named after its SQL that reaches only the primary", async () => {
    const { grantsSql, pipelineRoles } = require("../components/platform/postgresRoles") as typeof import("../components/platform/postgresRoles");
    const sql = grantsSql([{ name: "orders-load", read: ["reference"], write: ["orders"] }], "etl", "etl");
    expect(sql.split("\n")[0]).toMatch(/^DO \$revoke\$ .* \$revoke\$;$/);
    expect(sql.split("\n").slice(1)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "orders" AUTHORIZATION "etl";',
      'GRANT CONNECT ON DATABASE "etl" TO "orders-load";',
      'GRANT USAGE ON SCHEMA "reference" TO "orders-load";',
      'GRANT SELECT ON ALL TABLES IN SCHEMA "reference" TO "orders-load";',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "etl" IN SCHEMA "reference" GRANT SELECT ON TABLES TO "orders-load";',
      'GRANT USAGE, CREATE ON SCHEMA "orders" TO "orders-load";',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "orders" TO "orders-load";',
      'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "orders" TO "orders-load";',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "etl" IN SCHEMA "orders" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "orders-load";',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "etl" IN SCHEMA "orders" GRANT USAGE, SELECT ON SEQUENCES TO "orders-load";',
    ]);
    // Unset postgresSchemas: read and write in public, as the owner's tables were reached before.
    expect(pipelineRoles([{ name: "p", postgres: true } as any], "pipelines")).toEqual([{ name: "p", read: [], write: ["public"], secret: "p-postgres", secretNamespace: "pipelines" }]);
    const result = await plan("staging");
    const job = result.ofType("kubernetes:batch/v1:Job").find((j) => j.name === "etl-postgres-grants")!.inputs;
    expect(job.metadata.name).toMatch(/^postgres-grants-[0-9a-f]{10}$/);
    const container = job.spec.template.spec.containers[0];
    expect(container.command.slice(0, 3)).toEqual(["psql", "-v", "ON_ERROR_STOP=1"]);
    expect(container.env.find((e: any) => e.name === "PGPASSWORD").valueFrom).toEqual({ secretKeyRef: { name: "etl-app", key: "password" } });
    expect(restrictedViolations({ name: "grants", securityContext: job.spec.template.spec.securityContext, containers: [{ name: "grants", securityContext: container.securityContext }], volumes: job.spec.template.spec.volumes })).toEqual([]);
    const { allowed } = require("./runtime/networkPolicy") as typeof import("./runtime/networkPolicy");
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
    const primary = { namespace: "postgres", labels: { "cnpg.io/cluster": "etl", "cnpg.io/podRole": "instance" } };
    expect(allowed(policies, { from: { namespace: "postgres", labels: job.spec.template.metadata.labels }, to: primary, port: 5432 })).toBe(true);
    expect(allowed(policies, { from: { namespace: "postgres", labels: { app: "other" } }, to: primary, port: 5432 })).toBe(false);
  });

  it("grants SQL that PostgreSQL's own parser accepts, giving each role exactly its declared schemas", async () => {
    // libpg-query 17.7.4 is PostgreSQL 17's parser (libpg_query) in wasm. The Job runs psql with ON_ERROR_STOP, so
    // one statement it cannot parse (say, a role named like a pipeline, with a hyphen, left unquoted) stops every grant.
    const { loadModule, parseSync } = require("libpg-query");
    await loadModule();
    const { argoArchiveRole, grantsSql } = require("../components/platform/postgresRoles") as typeof import("../components/platform/postgresRoles");
    const roles = [{ name: "orders-load", read: ["reference", "orders"], write: ["orders", "staging_area"] }, { name: "export", read: ["orders"], write: [] }, argoArchiveRole("argo")];
    const sql = grantsSql(roles, "etl", "etl");
    const statements = parseSync(sql).stmts.map((s: any) => s.stmt);
    expect(statements).toHaveLength(sql.split("\n").length);
    expect(() => parseSync("GRANT USAGE ON SCHEMA s TO orders-load;")).toThrow(/syntax error/);
    // role → schema → privileges, read back from the parsed statements.
    const granted: Record<string, Record<string, Set<string>>> = {};
    const record = (grant: any, schemas: string[], prefix: string) => {
      for (const grantee of grant.grantees) {
        for (const schema of schemas) {
          const privileges = ((granted[grantee.RoleSpec.rolename] ??= {})[schema] ??= new Set());
          for (const privilege of grant.privileges) privileges.add(`${prefix}${privilege.AccessPriv.priv_name}`);
        }
      }
    };
    for (const statement of statements) {
      const [kind, body] = Object.entries(statement)[0] as [string, any];
      if (kind === "GrantStmt" && body.objtype === "OBJECT_SCHEMA") record(body, body.objects.map((o: any) => o.String.sval), "schema:");
      else if (kind === "GrantStmt" && body.targtype === "ACL_TARGET_ALL_IN_SCHEMA") record(body, body.objects.map((o: any) => o.String.sval), body.objtype === "OBJECT_TABLE" ? "tables:" : "sequences:");
      else if (kind === "AlterDefaultPrivilegesStmt") {
        const option = (name: string) => body.options.find((o: any) => o.DefElem.defname === name).DefElem.arg.List.items;
        expect(option("roles").map((r: any) => r.RoleSpec.rolename)).toEqual(["etl"]);
        record(body.action, option("schemas").map((o: any) => o.String.sval), body.action.objtype === "OBJECT_TABLE" ? "future tables:" : "future sequences:");
      } else expect(kind === "DoStmt" || kind === "CreateSchemaStmt" || (kind === "GrantStmt" && body.objtype === "OBJECT_DATABASE")).toBe(true);
    }
    const sorted = (role: string) => Object.fromEntries(Object.entries(granted[role]).map(([schema, privileges]) => [schema, [...privileges].sort()]));
    const write = ["future sequences:select", "future sequences:usage", "future tables:delete", "future tables:insert", "future tables:select", "future tables:update", "schema:create", "schema:usage", "sequences:select", "sequences:usage", "tables:delete", "tables:insert", "tables:select", "tables:update"];
    const read = ["future tables:select", "schema:usage", "tables:select"];
    expect(sorted("orders-load")).toEqual({ reference: read, orders: write, staging_area: write });
    expect(sorted("export")).toEqual({ orders: read });
    expect(sorted("argo_archive")).toEqual({ argo_archive: write });
  });

  /** Staging with Argo's archive on and a retired role: one variant for both tests, planned once. */
  const archiveAndRetiredRole = variants.stagingArchiveAndRetiredRole;

  it("revokes, before it grants, what the owner granted every declared and retired role, in every schema, in one transaction", async () => {
    const { loadModule, parseSync } = require("libpg-query");
    await loadModule();
    const { grantsSql, managedRoles, revokeAllSql } = require("../components/platform/postgresRoles") as typeof import("../components/platform/postgresRoles");
    const sql = grantsSql([{ name: "orders-load", read: [], write: ["orders"] }], "etl", "app's owner", ["old-export"]);
    const statements = parseSync(sql).stmts.map((s: any) => Object.keys(s.stmt)[0]);
    // psql runs one -c string as one transaction (psql documentation, -c): the revocation first, then the grants.
    expect(statements[0]).toBe("DoStmt");
    expect(statements.slice(1)).not.toContain("DoStmt");
    expect(sql).not.toMatch(/\b(BEGIN|COMMIT);/);
    const body = parseSync(sql).stmts[0].stmt.DoStmt.args[0].DefElem.arg.String.sval as string;
    expect(body).toContain("ARRAY['orders-load', 'old-export']::text[]");
    // The block's queries and each statement it executes, as PostgreSQL 17's parser reads them once format() has
    // filled in a schema and a role (%I quotes an identifier as "x").
    const queries = [...body.matchAll(/SELECT [^;]*?(?= LOOP|\);)/g)].map((m) => m[0]);
    expect(queries).toHaveLength(2);
    for (const query of queries) expect(() => parseSync(query.replace(/= grantee$/, "= 'x'"))).not.toThrow();
    const executed = [...body.matchAll(/EXECUTE format\('([^']+)'/g)].map((m) => m[1]);
    expect(executed).toEqual([
      "REVOKE ALL ON DATABASE %I FROM %I",
      "REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I",
      "REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I",
      "REVOKE ALL ON SCHEMA %I FROM %I",
      "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON TABLES FROM %I",
      "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I",
    ]);
    for (const template of executed) expect(parseSync(template.replace(/%I/g, '"orders-load"')).stmts).toHaveLength(1);
    // Its default privileges are the owner's, whose name is a literal that format() quotes.
    expect(body).toContain("REVOKE ALL ON TABLES FROM %I', 'app''s owner', schema_name, grantee);");
    // Every schema but the system ones: pg_catalog, pg_toast, pg_temp_N (LIKE 'pg\_%') and information_schema.
    expect(body).toContain("WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'");
    expect(revokeAllSql(["a"], "etl")).toContain("CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grantee);");
    // A retired role is dropped by CloudNativePG once its grants are gone.
    expect(managedRoles([], ["old-export"])).toEqual([{ name: "old-export", ensure: "absent" }]);
    const result = await plan("staging", archiveAndRetiredRole());
    expect(result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec.managed.roles).toContainEqual({ name: "old-export", ensure: "absent" });
    expect(result.one("kubernetes:batch/v1:Job", "etl-postgres-grants").inputs.spec.template.spec.containers[0].command[4]).toContain("'old-export'");
  });

  it("gives Argo's archive a role of its own, in a schema of its own, and no client the owner's credentials", async () => {
    const result = await plan("staging", archiveAndRetiredRole());
    const cluster = result.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "etl-postgres-cluster").inputs.spec;
    expect(cluster.managed.roles).toContainEqual(expect.objectContaining({ name: "argo_archive", login: true, superuser: false, createrole: false, passwordSecret: { name: "argo-archive-credentials" } }));
    // Its password is mirrored into Argo's namespace only; the owner's `-app` Secret is mirrored nowhere (the
    // Cluster's inheritedMetadata used to allow it into every client namespace).
    const secret = result.one("kubernetes:core/v1:Secret", "etl-postgres-role-argo_archive").inputs;
    expect(secret).toMatchObject({ type: "kubernetes.io/basic-auth", metadata: { namespace: "postgres", annotations: { "reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces": "argo" } }, stringData: { username: "argo_archive" } });
    expect(cluster.inheritedMetadata).toBeUndefined();
    expect(result.ofType("kubernetes:core/v1:Secret").map((s) => s.inputs.metadata.name)).not.toContain("etl-app");
    const persistence = result.one("kubernetes:helm.sh/v3:Release", "etl-argo").inputs.values.controller.persistence.postgresql;
    expect(persistence).toMatchObject({ userNameSecret: { name: "argo-archive-credentials", key: "username" }, passwordSecret: { name: "argo-archive-credentials", key: "password" } });
    // argo-workflows v4.0.6 persist/sqldb/migrate.go creates its tables unqualified (`create table if not exists
    // argo_archived_workflows ...`, and `schema_history` in util/sqldb/migrate.go): with the default search_path
    // `"$user", public` they land in the schema named after the role, which must exist and take CREATE from it.
    expect(persistence.tableName).not.toContain(".");
    const sql = result.ofType("kubernetes:batch/v1:Job").find((j) => j.name === "etl-postgres-grants")!.inputs.spec.template.spec.containers[0].command[4].split("\n");
    expect(sql).toEqual(expect.arrayContaining([
      'CREATE SCHEMA IF NOT EXISTS "argo_archive" AUTHORIZATION "etl";',
      'GRANT USAGE, CREATE ON SCHEMA "argo_archive" TO "argo_archive";',
    ]));
    // No pipeline is granted Argo's schema, nor Argo a pipeline's.
    expect(sql.filter((line: string) => line.includes('"argo_archive"') && !line.endsWith('TO "argo_archive";') && !line.startsWith("CREATE SCHEMA"))).toEqual([]);
    const schemasOf = (role: string) => new Set(sql.filter((line: string) => line.endsWith(`TO "${role}";`)).flatMap((line: string) => [...line.matchAll(/SCHEMA "([^"]+)"/g)].map((m) => m[1])));
    expect([...schemasOf("argo_archive")]).toEqual(["argo_archive"]);
    // The archive's clients reach the instances: Argo's controller and server, from their namespace.
    const { allowed } = require("./runtime/networkPolicy") as typeof import("./runtime/networkPolicy");
    const policies = result.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
    expect(allowed(policies, { from: { namespace: "argo", labels: { "app.kubernetes.io/component": "workflow-controller" } }, to: { namespace: "postgres", labels: { "cnpg.io/cluster": "etl", "cnpg.io/podRole": "instance" } }, port: 5432 })).toBe(true);
  });

  it("refuses the archive's role as the owner or a pipeline's schema", () => {
    const { configProblems, minimalPipeline } = require("./harness") as typeof import("./harness");
    expect(configProblems({ environment: "staging", postgres: { owner: "argo_archive" }, pipelines: [{ ...minimalPipeline, postgres: true, postgresSchemas: { read: ["argo_archive"] } }] })).toEqual([
      'etl-platform:postgres.owner: expected a role other than "argo_archive" (Argo\'s workflow archive\'s own role), got "argo_archive"',
      'etl-platform:pipelines[0].postgresSchemas.read[0]: expected a schema other than "argo_archive" (Argo\'s workflow archive\'s; only its role uses it), got "argo_archive"',
    ]);
  });

  it("refuses postgresSchemas without postgres, and a pipeline named like another's credentials", () => {
    const { configProblems, minimalPipeline } = require("./harness") as typeof import("./harness");
    expect(configProblems({ environment: "staging", pipelines: [{ ...minimalPipeline, postgresSchemas: { write: ["orders"] } }] })).toEqual([
      "etl-platform:pipelines[0].postgresSchemas: expected postgres: true with postgresSchemas (they are the pipeline's Postgres role's grants), got postgres: false",
    ]);
    const problems = configProblems({ environment: "staging", pipelines: [{ ...minimalPipeline, name: "orders", postgres: true }, { ...minimalPipeline, name: "orders-postgres" }] });
    expect(problems).toEqual([expect.stringMatching(/^etl-platform:pipelines\[1\]\.name: expected a name that is not another pipeline's Postgres credentials Secret/)]);
  });
});

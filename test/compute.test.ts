import { autoscalerIamPolicy } from "../components/aws/autoscaler";
import { plan, AWS_STACKS, type Plan } from "./harness";
import { variants } from "./variants";
import { coreObjectProblems, unknownValuesKeys } from "./upstream";
import { instanceShape } from "../lib/instanceTypes";
import { charts } from "../versions";

const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe.each(AWS_STACKS)("compute layer of %s", (stack) => {
  let result: Plan;
  const prod = stack === "prod";
  beforeAll(async () => {
    result = await plan(stack);
  });

  it("creates a VPC with a private and a public subnet per zone, tagged for EKS", () => {
    const zones = prod ? 3 : 2;
    const subnets = result.ofType("aws:ec2/subnet:Subnet");
    const privateSubnets = subnets.filter((s) => s.inputs.tags["kubernetes.io/role/internal-elb"] === "1");
    const publicSubnets = subnets.filter((s) => s.inputs.tags["kubernetes.io/role/elb"] === "1");
    expect(privateSubnets).toHaveLength(zones);
    expect(publicSubnets).toHaveLength(zones);
    expect(new Set(subnets.map((s) => s.inputs.availabilityZone)).size).toBe(zones);
    for (const subnet of subnets) expect(subnet.inputs.tags[`kubernetes.io/cluster/etl-${stack}`]).toBe("shared");
    expect(result.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(prod ? 3 : 1);
    const endpoint = result.one("aws:ec2/vpcEndpoint:VpcEndpoint", "etl-network-s3");
    expect(endpoint.inputs).toMatchObject({ vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3" });
    expect(endpoint.inputs.routeTableIds).toHaveLength(zones);
  });

  it("declares the EKS cluster with API access entries, encrypted secrets, restricted endpoint and OIDC", () => {
    const cluster = result.one("eks:index:Cluster", "etl-cluster");
    const secretsKey = result.one("aws:kms/key:Key", "etl-cluster-secrets");
    expect(secretsKey.inputs.enableKeyRotation).toBe(true);
    expect(cluster.inputs).toMatchObject({
      name: `etl-${stack}`,
      version: "1.35",
      upgradePolicy: { supportType: prod ? "EXTENDED" : "STANDARD" },
      authenticationMode: "API",
      skipDefaultNodeGroup: true,
      endpointPrivateAccess: true,
      createOidcProvider: true,
      nodeAssociatePublicIpAddress: false,
      encryptionConfigKeyArn: "arn:aws:mock:eu-west-1:123456789012:Key/etl-cluster-secrets",
    });
    expect(cluster.inputs.roleMappings).toBeUndefined();
    expect(Object.values(cluster.inputs.accessEntries).map((e: any) => e.principalArn)).toEqual([
      prod ? "arn:aws:iam::222222222222:role/platform-admin" : "arn:aws:iam::111111111111:role/platform-admin",
    ]);
    expect(cluster.inputs.publicAccessCidrs).not.toContain("0.0.0.0/0");
    if (prod) expect([...cluster.inputs.enabledClusterLogTypes].sort()).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    const privateSubnetIds = result.ofType("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).map((s) => `${s.name}-id`);
    expect(cluster.inputs.privateSubnetIds).toEqual(privateSubnetIds);
    expect(cluster.protect).toBe(prod);
  });

  it("keeps every log group KMS-encrypted for logging.retentionDays, with VPC flow logs and bucket access logs", () => {
    const key = result.one("aws:kms/key:Key", "etl-audit-logs");
    const keyPolicy = JSON.parse(key.inputs.policy);
    expect(keyPolicy.Statement[1]).toMatchObject({ Principal: { Service: "logs.eu-west-1.amazonaws.com" }, Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" } } });
    const groups = result.ofType("aws:cloudwatch/logGroup:LogGroup");
    // The control plane's, the flow logs', and the container logs' (components/platform/logShipping): per platform
    // namespace, per pipeline, and one for the rest.
    const containerGroups = ["argo", "cert-manager", "cnpg-system", "kafka", "kube-system", "monitoring", "other", "pipelines", "postgres", "postgres-drill", "strimzi",
      ...result.ofType("kubernetes:batch/v1:CronJob").concat(result.ofType("kubernetes:argoproj.io/v1alpha1:CronWorkflow"), result.ofType("kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.namespace === "pipelines")).map((p) => `pipelines-${p.inputs.metadata.name}`).filter((n) => n !== "pipelines-postgres-restore-drill")];
    expect(groups.map((g) => g.name).sort()).toEqual(["etl-cluster-control-plane", "etl-network-flow-logs", ...containerGroups.map((group) => `etl-logs-${group}`)].sort());
    expect(result.one("aws:cloudwatch/logGroup:LogGroup", "etl-logs-pipelines").inputs.name).toBe(`/etl/etl-${stack}/pipelines`);
    for (const group of groups) expect(group.inputs).toMatchObject({ retentionInDays: prod ? 90 : 7, kmsKeyId: "arn:aws:mock:eu-west-1:123456789012:Key/etl-audit-logs" });
    const flowLog = result.one("aws:ec2/flowLog:FlowLog", "etl-network-flow-logs");
    expect(flowLog.inputs).toMatchObject({ trafficType: "ALL", logDestinationType: "cloud-watch-logs", vpcId: "etl-network-vpc-id" });
    const logging = result.ofType("aws:s3/bucketLogging:BucketLogging");
    expect(logging.map((l) => l.name).sort()).toEqual(["etl-argo-artifacts", "etl-postgres-backups"]);
    for (const entry of logging) expect(entry.inputs.targetBucket).toBe("etl-audit-access-logs");
    // S3 delivers server access logs only into SSE-S3 buckets.
    expect(result.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "etl-audit-access-logs").inputs.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
    expect(result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "etl-audit-access-logs").inputs.rules[0].expiration).toEqual({ days: prod ? 90 : 7 });
  });

  it("builds the Kubernetes provider from the cluster's stable outputs only", () => {
    const provider = result.one("pulumi:providers:kubernetes", "etl-cluster-k8s");
    const kubeconfig = JSON.parse(provider.inputs.kubeconfig);
    expect(kubeconfig.clusters[0].cluster.server).toBe(`https://etl-${stack}.eks.mock`);
    expect(kubeconfig.users[0].user.exec.args).toEqual(["eks", "get-token", "--cluster-name", `etl-${stack}`, "--output", "json"]);
  });

  it("runs node groups in the private subnets of the cluster, with the cluster's name", () => {
    const privateSubnetIds = result.ofType("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).map((s) => `${s.name}-id`);
    const groups = result.ofType(NODE_GROUP);
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const group of groups) {
      expect(group.inputs.clusterName).toBe(`etl-${stack}`);
      for (const subnet of group.inputs.subnetIds) expect(privateSubnetIds).toContain(subnet);
    }
  });

  it("gives every node IMDSv2 only with hop limit 1, an encrypted gp3 root volume and no SSH key", () => {
    const templates = result.ofType("aws:ec2/launchTemplate:LaunchTemplate");
    expect(templates).toHaveLength(result.ofType(NODE_GROUP).length);
    for (const template of templates) {
      expect(template.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(template.inputs.blockDeviceMappings[0].ebs).toMatchObject({ volumeType: "gp3", encrypted: "true" });
      expect(template.inputs.keyName).toBeUndefined();
    }
    for (const group of result.ofType(NODE_GROUP)) expect(group.inputs.remoteAccess).toBeUndefined();
  });

  it("has on-demand system and stateful pools, the stateful pool tainted, one per zone in prod", () => {
    const groups = result.ofType(NODE_GROUP);
    const stateful = groups.filter((g) => g.inputs.labels["etl-platform/pool"] === "stateful");
    expect(stateful).toHaveLength(prod ? 3 : 1);
    for (const group of stateful) {
      expect(group.inputs.capacityType).toBe("ON_DEMAND");
      expect(group.inputs.taints).toEqual([{ key: "etl-platform/stateful", value: "true", effect: "NO_SCHEDULE" }]);
      if (prod) expect(group.inputs.subnetIds).toHaveLength(1);
    }
    if (prod) expect(new Set(stateful.map((g) => g.inputs.subnetIds[0])).size).toBe(3);
    const system = groups.filter((g) => g.inputs.labels["etl-platform/pool"] === "system");
    expect(system.map((g) => g.inputs.capacityType)).toEqual(["ON_DEMAND"]);
  });

  it("has diversified spot batch pools that scale to zero, tainted, with matching autoscaler tags", () => {
    const spot = result.ofType(NODE_GROUP).filter((g) => g.inputs.capacityType === "SPOT");
    expect(spot.length).toBeGreaterThanOrEqual(1);
    for (const group of spot) {
      const types: string[] = group.inputs.instanceTypes;
      expect(types.length).toBeGreaterThanOrEqual(4);
      expect(new Set(types.map((t) => t.split(".")[0])).size).toBeGreaterThanOrEqual(2);
      expect(new Set(types.map((t) => JSON.stringify({ ...instanceShape(t), family: undefined }))).size).toBe(1);
      expect(group.inputs.scalingConfig.minSize).toBe(0);
      expect(group.inputs.taints).toEqual([{ key: "etl-platform/batch", value: "true", effect: "NO_SCHEDULE" }]);
      const asgTags = result.ofType("aws:autoscaling/tag:Tag").filter((t) => t.inputs.autoscalingGroupName === `eks-${group.name}-ng-mock`);
      const tagged = Object.fromEntries(asgTags.map((t) => [t.inputs.tag.key, t.inputs.tag.value]));
      for (const [label, value] of Object.entries(group.inputs.labels)) expect(tagged[`k8s.io/cluster-autoscaler/node-template/label/${label}`]).toBe(value);
      expect(tagged["k8s.io/cluster-autoscaler/node-template/taint/etl-platform/batch"]).toBe("true:NoSchedule");
    }
    // Groups that never reach zero need no template: the autoscaler reads a running node.
    const everTagged = new Set(result.ofType("aws:autoscaling/tag:Tag").map((t) => t.inputs.autoscalingGroupName));
    for (const group of result.ofType(NODE_GROUP)) expect(everTagged.has(`eks-${group.name}-ng-mock`)).toBe(group.inputs.scalingConfig.minSize === 0);
  });

  it("leaves the desired size of every node group to the autoscaler after creation", () => {
    for (const group of result.ofType(NODE_GROUP)) expect(group.ignoreChanges).toEqual(["scalingConfig.desiredSize"]);
  });

  it("installs the EBS CSI driver with its own identity and a default encrypted gp3 StorageClass", () => {
    const addon = result.one("aws:eks/addon:Addon", "etl-cluster-aws-ebs-csi-driver");
    expect(addon.inputs).toMatchObject({ addonName: "aws-ebs-csi-driver", addonVersion: "v1.54.0-eksbuild.1", clusterName: `etl-${stack}`, serviceAccountRoleArn: "arn:aws:mock:eu-west-1:123456789012:Role/etl-cluster-ebs-csi" });
    const role = result.one("aws:iam/role:Role", "etl-cluster-ebs-csi");
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/MOCK:sub"]).toBe("system:serviceaccount:kube-system:ebs-csi-controller-sa");
    const gp3 = result.one("kubernetes:storage.k8s.io/v1:StorageClass", "etl-cluster-gp3");
    expect(gp3.inputs).toMatchObject({
      provisioner: "ebs.csi.aws.com",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      parameters: { type: "gp3", encrypted: "true", kmsKeyId: "arn:aws:mock:eu-west-1:123456789012:Key/etl-cluster-volumes" },
      metadata: { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    });
    expect(coreObjectProblems({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", ...gp3.inputs })).toEqual([]);
    const gp2 = result.one("kubernetes:storage.k8s.io/v1:StorageClassPatch", "etl-cluster-gp2-not-default");
    expect(gp2.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("false");
  });

  it("runs the cluster autoscaler from its pinned chart, matching the cluster's minor version, preferring spot", () => {
    const release = result.one(RELEASE, "etl-autoscaler");
    expect(release.inputs).toMatchObject({ chart: charts.clusterAutoscaler.chart, version: charts.clusterAutoscaler.version, namespace: "kube-system" });
    const values = release.inputs.values;
    expect(unknownValuesKeys("cluster-autoscaler-9.59.0", values, ["extraArgs", "expanderPriorities"])).toEqual([]);
    expect(values.image.tag).toMatch(/^v1\.35\./);
    expect(values.autoDiscovery.clusterName).toBe(`etl-${stack}`);
    expect(values.extraArgs["balance-similar-node-groups"]).toBe(true);
    expect(values.extraArgs.expander).toMatch(/^priority/);
    const spotNames = result.ofType(NODE_GROUP).filter((g) => g.inputs.capacityType === "SPOT").map((g) => `^eks-${g.name}-ng-.*`);
    expect(values.expanderPriorities["50"]).toEqual(spotNames);
    expect(values.expanderPriorities["10"]).toEqual([".*"]);
    expect(values.nodeSelector).toEqual({ "etl-platform/pool": "system" });
    expect(values.resources.requests).toBeDefined();
    expect(values.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
    expect(values.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:mock:eu-west-1:123456789012:Role/etl-autoscaler-role");
  });

  it("lets only the autoscaler's service account assume its role", () => {
    const role = result.one("aws:iam/role:Role", "etl-autoscaler-role");
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]).toMatchObject({
      Effect: "Allow",
      Action: "sts:AssumeRoleWithWebIdentity",
      Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/MOCK" },
      Condition: { StringEquals: { "oidc.eks.eu-west-1.amazonaws.com/id/MOCK:sub": "system:serviceaccount:kube-system:cluster-autoscaler", "oidc.eks.eu-west-1.amazonaws.com/id/MOCK:aud": "sts.amazonaws.com" } },
    });
    const policy = JSON.parse(result.one("aws:iam/rolePolicy:RolePolicy", "etl-autoscaler-role").inputs.policy);
    expect(policy).toEqual(autoscalerIamPolicy(`etl-${stack}`));
  });

  it("exports what operators need, the kubeconfig as a secret", () => {
    expect(Object.keys(result.outputs).sort()).toEqual(["argoArtifactBucket", "clusterEndpoint", "clusterName", "environment", "grafanaAdminPassword", "kafkaBootstrap", "kubeconfig", "nodeGroupNames", "oidcProviderArn", "postgresBackupBucket", "postgresHost", "postgresRestoreRoleArn", "privateSubnetIds", "publicSubnetIds", "target", "vpcId"]);
    expect(JSON.stringify(result.rawOutputs.kubeconfig)).toContain("1b47061264138c4ac30d75fd1eb44270");
  });
});

describe("the autoscaler's IAM policy", () => {
  const policy = autoscalerIamPolicy("etl-prod");
  const statements = policy.Statement;
  const mutating = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"];

  it("grants no wildcard action", () => {
    for (const statement of statements) for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
  });

  it("allows changes only to groups tagged as owned by this cluster", () => {
    for (const action of mutating) {
      const granting = statements.filter((s) => [s.Action].flat().includes(action));
      expect(granting).toHaveLength(1);
      expect(granting[0].Condition).toEqual({ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/etl-prod": "owned" } });
    }
  });

  it("grants unconditioned only read actions", () => {
    for (const statement of statements.filter((s) => !s.Condition)) {
      for (const action of [statement.Action].flat()) expect(action).toMatch(/^(autoscaling|ec2|eks):(Describe|Get)/);
    }
  });

  it("reads only this cluster's node groups", () => {
    const describe = statements.find((s) => [s.Action].flat().includes("eks:DescribeNodegroup"));
    expect(describe?.Resource).toBe("arn:aws:eks:*:*:nodegroup/etl-prod/*/*");
  });
});

describe("existing VPC", () => {
  it("creates no network resources and uses the given subnets", async () => {
    const result = await plan("staging", variants.stagingExistingVpc());
    expect(result.ofType("aws:ec2/vpc:Vpc")).toEqual([]);
    expect(result.ofType("aws:ec2/subnet:Subnet")).toEqual([]);
    expect(result.ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(result.one("eks:index:Cluster", "etl-cluster").inputs).toMatchObject({ vpcId: "vpc-0abc", privateSubnetIds: ["subnet-0a", "subnet-0b"] });
  });
});

describe("API endpoint without public CIDRs", () => {
  it("turns the public endpoint off rather than leaving EKS's 0.0.0.0/0 default", async () => {
    const cluster = (await plan("prod", variants.prodWithoutPublicCidrs())).one("eks:index:Cluster", "etl-cluster");
    expect(cluster.inputs.endpointPublicAccess).toBe(false);
    expect(cluster.inputs.endpointPrivateAccess).toBe(true);
    expect(cluster.inputs.publicAccessCidrs).toBeUndefined();
    expect(cluster.inputs.accessEntries).toEqual({});
  });
});

describe("stateful node groups update one zone at a time", () => {
  it("chains each zone's stateful group after the previous one (dependsOn), the other pools in parallel", async () => {
    const result = await plan("prod");
    const groups = result.ofType("aws:eks/nodeGroup:NodeGroup");
    const stateful = groups.filter((group) => group.inputs.labels?.["etl-platform/pool"] === "stateful");
    expect(stateful.map((group) => group.name)).toEqual(["etl-nodes-stateful-0", "etl-nodes-stateful-1", "etl-nodes-stateful-2"]);
    const groupUrns = new Set(groups.map((group) => group.urn));
    for (const [i, group] of stateful.entries()) {
      expect({ group: group.name, after: group.dependsOn.filter((urn) => groupUrns.has(urn)) }).toEqual({ group: group.name, after: i === 0 ? [] : [stateful[i - 1].urn] });
    }
    for (const group of groups.filter((candidate) => !stateful.includes(candidate))) expect(group.dependsOn.filter((urn) => groupUrns.has(urn))).toEqual([]);
  });
});

describe("the Kubernetes provider's identity", () => {
  it("is the cluster's OIDC issuer, so a kubeconfig turning unknown in a preview never replaces it (pulumi-kubernetes DiffConfig)", async () => {
    const result = await plan("prod");
    const provider = result.one("pulumi:providers:kubernetes", "etl-cluster-k8s").inputs;
    expect(provider.clusterIdentifier).toBe("https://oidc.eks.eu-west-1.amazonaws.com/id/MOCK");
  });
});

/**
 * Runs the real Pulumi program in-process under Pulumi's mocks, without the engine, the CLI or any provider, and
 * records every resource it declares. Used by `npm run plan` and by the tests.
 *
 * Two modes: `plan` runs as a preview, so an output that only the cloud would know (an ARN, an id, a zone name)
 * stays unknown and is shown as such; `test` gives each resource made-up ids and outputs so that tests can follow
 * the links between resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { setOfflineRun } from "../lib/pinnedFiles";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import type { StackSettings } from "./stackFile";
// The mock monitor is public in @pulumi/pulumi but has no public hook for a resource's options (parent, dependsOn,
// protect); a subclass reads them off each registration request.
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: new (mocks: pulumi.runtime.Mocks) => any };
// Both are exported by the runtime but marked internal in its typings: they run a program as a stack and wait
// for its registrations, which is what the CLI's language host does.
const { runInPulumiStack } = require("@pulumi/pulumi/runtime/stack") as { runInPulumiStack: (init: () => Promise<unknown>) => Promise<unknown> };
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export const PROJECT = "etl-platform";

export type Mode = "plan" | "test";

export interface DeclaredResource {
  type: string;
  name: string;
  urn: string;
  parent?: string;
  custom: boolean;
  /** Inputs as sent to the engine, secrets and unknowns still marked; see `present`. */
  rawInputs: Record<string, unknown>;
  dependsOn: string[];
  /** For each input, the URNs of the resources its value came from. */
  propertyDependencies: Record<string, string[]>;
  protect: boolean;
  /** Kept in the cloud when Pulumi deletes it (`retainOnDelete`). */
  retainOnDelete: boolean;
  ignoreChanges: string[];
  provider?: string;
  /** How many `transforms` the engine would apply to it and its children (those of a packaged component too). */
  transforms?: number;
  /** The `aliases` option: what the resource was called before (an old URN, or the parts that changed). */
  aliases?: AliasSpec[];
}

export interface AliasSpec {
  urn?: string;
  name?: string;
  type?: string;
  /** The old parent's URN (as the offline run names URNs); `noParent`: it had none. */
  parentUrn?: string;
  noParent?: boolean;
}

function aliasSpecs(req: any): AliasSpec[] {
  return (req.getAliasesList?.() ?? []).map((alias: any) => {
    if (alias.getUrn()) return { urn: alias.getUrn() };
    const spec = alias.getSpec();
    return Object.fromEntries(Object.entries({ name: spec.getName(), type: spec.getType(), parentUrn: spec.getParenturn(), noParent: spec.getNoparent() }).filter(([, value]) => value)) as AliasSpec;
  });
}

export interface OfflineRun {
  stack: string;
  project: string;
  resources: DeclaredResource[];
  /** Stack outputs, as the engine would receive them. */
  rawOutputs: Record<string, unknown>;
}

/** Made-up outputs for `test` mode: what the program reads from resources whose outputs only the cloud knows. */
function testOutputs(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
  const arn = `arn:aws:mock:${region}:123456789012:${type.split(":").pop()}/${name}`;
  switch (type) {
    case "eks:index:Cluster":
      return {
        eksCluster: {
          name: inputs.name,
          endpoint: `https://${inputs.name}.eks.mock`,
          certificateAuthority: { data: "bW9jay1jYQ==" },
          vpcConfig: { clusterSecurityGroupId: `sg-${name}` },
          kubernetesNetworkConfig: { serviceIpv4Cidr: "172.20.0.0/16", ipFamily: "ipv4" },
        },
        oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/oidc.eks.${region}.amazonaws.com/id/MOCK`,
        oidcProviderUrl: `https://oidc.eks.${region}.amazonaws.com/id/MOCK`,
      };
    case "aws:eks/nodeGroup:NodeGroup":
      return { nodeGroupName: `${name}-ng`, resources: [{ autoscalingGroups: [{ name: `eks-${name}-ng-mock` }] }] };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { latestVersion: 1 };
    case "random:index/randomPassword:RandomPassword":
      return { result: `generated-password-for-${name}` };
    case "random:index/randomString:RandomString":
      return { result: `GENERATED${name.replace(/[^A-Za-z0-9]/g, "").toUpperCase()}`.slice(0, inputs.length ?? 20) };
    default:
      return { arn, name: inputs.name ?? name, bucket: inputs.bucket ?? name };
  }
}

function mocks(mode: Mode, region: string): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      if (mode === "plan") return { id: undefined as unknown as string, state: args.inputs };
      return { id: `${args.name}-id`, state: { ...args.inputs, ...testOutputs(args.type, args.name, args.inputs, region) } };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return mode === "plan" ? { accountId: unknownValue, arn: unknownValue, userId: unknownValue } : { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/mock", userId: "mock" };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:index/getRegion:getRegion":
          return { name: region, region, id: region };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          return mode === "plan" ? { names: unknownValue, zoneIds: unknownValue } : { names: ["a", "b", "c", "d"].map((z) => `${region}${z}`) };
        case "aws:ec2/getManagedPrefixList:getManagedPrefixList":
          // Two of S3's published ranges, enough for flow tests; unknown in a plan.
          return mode === "plan" ? { entries: unknownValue, id: unknownValue } : { id: "pl-mock", name: args.inputs.name, entries: [{ cidr: "52.218.0.0/17", description: "" }, { cidr: "3.5.64.0/21", description: "" }] };
        case "aws:ec2/getVpc:getVpc":
          return mode === "plan" ? { id: args.inputs.id, cidrBlock: unknownValue } : { id: args.inputs.id, cidrBlock: "10.42.0.0/16" };
        case "aws:ec2/getSubnet:getSubnet":
          return mode === "plan" ? { id: args.inputs.id, availabilityZone: unknownValue } : { id: args.inputs.id, availabilityZone: `${region}a` };
        default:
          throw new Error(`Mock not implemented: ${args.token}`);
      }
    },
  };
}

function propertyDependencies(req: any): Record<string, string[]> {
  const dependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((value: any, key: string) => {
    dependencies[key] = value.getUrnsList();
  });
  return dependencies;
}

class RecordingMonitor extends MockMonitor {
  public readonly declared: DeclaredResource[] = [];
  public readonly outputsByUrn = new Map<string, Record<string, unknown>>();

  constructor(mocks: pulumi.runtime.Mocks) {
    super(mocks);
  }

  async registerResource(req: any, callback: (err: unknown, response: unknown) => void): Promise<void> {
    const urn = this.newUrn(req.getParent(), req.getType(), req.getName());
    this.declared.push({
      type: req.getType(),
      name: req.getName(),
      urn,
      parent: req.getParent() || undefined,
      custom: req.getCustom(),
      rawInputs: req.getObject()?.toJavaScript() ?? {},
      dependsOn: req.getDependenciesList(),
      propertyDependencies: propertyDependencies(req),
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      ignoreChanges: req.getIgnorechangesList(),
      provider: req.getProvider() || undefined,
      ...(req.getTransformsList().length > 0 ? { transforms: req.getTransformsList().length } : {}),
      ...(aliasSpecs(req).length > 0 ? { aliases: aliasSpecs(req) } : {}),
    });
    return super.registerResource(req, callback);
  }

  registerResourceOutputs(req: any, callback: (err: unknown, response: unknown) => void): void {
    this.outputsByUrn.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
    super.registerResourceOutputs(req, callback);
  }
}

/** Runs `program` under mocks as the given stack, and returns what it declared. */
export async function runOffline(
  program: () => Promise<Record<string, unknown> | void>,
  stack: string,
  settings: StackSettings,
  mode: Mode,
): Promise<OfflineRun> {
  const region = settings.config["aws:region"] ?? "us-east-1";
  setOfflineRun(true);
  const recorder = mocks(mode, region);
  await pulumi.runtime.setMocks(recorder, PROJECT, stack, mode === "plan");
  const monitor = new RecordingMonitor(recorder);
  pulumi.runtime.setMockOptions(monitor, PROJECT, stack, mode === "plan");
  pulumi.runtime.setAllConfig(settings.config, settings.secretKeys);

  // The SDK records a stack trace for every promise and resource it creates, which is most of an offline run's
  // time; without the engine nothing reads them. ETL_PLAN_STACK_TRACES=1 keeps them, for debugging the program.
  const stackTraceLimit = Error.stackTraceLimit;
  if (process.env.ETL_PLAN_STACK_TRACES !== "1") Error.stackTraceLimit = 0;
  try {
    await runInPulumiStack(async () => (await program()) ?? {});
    await waitForRPCs();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }

  const stackResource = monitor.declared.find((resource) => resource.type === "pulumi:pulumi:Stack");
  return {
    stack,
    project: PROJECT,
    resources: monitor.declared.filter((resource) => resource !== stackResource),
    rawOutputs: (stackResource && monitor.outputsByUrn.get(stackResource.urn)) ?? {},
  };
}

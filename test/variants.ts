/**
 * The variants of the stack files that the tests plan, each built in one place, so that jest's globalSetup
 * (test/warmPlans.js) can plan them into the plan cache before the workers start. A test file that plans a
 * variant itself first loads and compiles the whole program in its own module registry (a second or more a file,
 * measured on the 2-core runner); the warm-up processes plan each in about half a second.
 *
 * A variant missing from `WARM_PLANS` still works (the test plans it); one no test plans is caught by
 * test/stacks.test.ts.
 */
import type { Mode } from "../plan/offline";
import type { StackSettings } from "../plan/stackFile";
import { stackSettings, withConfig, withSecrets } from "./harness";
import { karpenterStack } from "./karpenterStacks";

const staging = () => stackSettings("staging");
const prod = () => stackSettings("prod");
const configOf = (settings: StackSettings, key: string) => JSON.parse(settings.config[`etl-platform:${key}`]);
/** A stack file's settings with the sections `change` derives from them replaced: the file is read once. */
const edit = (base: StackSettings, change: (base: StackSettings) => Record<string, unknown>, secretKeys?: string[]) => withConfig(base, change(base), secretKeys);

export const GRAVITON_SPOT = ["m6g.xlarge", "m7g.xlarge", "m8g.xlarge", "m6gd.xlarge"];
export const X86_SPOT = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m7i.xlarge"];

/** An object store outside the cluster for the local stack (MinIO on another host), with its credentials. */
const EXTERNAL_STORE = {
  endpoint: "https://minio.backup.example.com:9000",
  region: "eu-central-1",
  buckets: { postgresBackups: "acme-etl-backups", argoArtifacts: "acme-etl-artifacts" },
  cidrs: ["198.51.100.0/28"],
  accessKeyIdSecret: "storeKeyId",
  secretAccessKeySecret: "storeSecret",
};

export const variants = {
  /** prod with one more pipeline, a copy of its second one. */
  prodWithNewPipeline: () => edit(prod(), (base) => {
    const pipelines = configOf(base, "pipelines");
    return { pipelines: [...pipelines, { ...pipelines[1], name: "new-extract" }] };
  }),
  stagingRenamedCluster: () => edit(staging(), (base) => ({ cluster: { ...configOf(base, "cluster"), name: "etl-staging-2" } })),
  stagingNewVpcCidr: () => edit(staging(), (base) => ({ network: { ...configOf(base, "network"), cidr: "10.21.0.0/16" } })),
  /** Two cost changes in one run: a NAT gateway per zone and stateful nodes twice the size. */
  stagingMoreNatBiggerStateful: () => edit(staging(), (base) => ({ network: { ...configOf(base, "network"), natGateways: "perZone" }, nodePools: { stateful: { instanceTypes: ["r6i.xlarge"] } } })),
  stagingArchiveAndRetiredRole: () => edit(staging(), (base) => ({
    argo: { archive: true },
    postgres: { ...configOf(base, "postgres"), retiredRoles: ["old-export"] },
  })),
  stagingTelemetryOff: () => withConfig(staging(), { telemetry: { enabled: false } }),
  stagingExistingVpc: () => withConfig(staging(), {
    network: { cidr: "10.20.0.0/16", availabilityZones: 2, natGateways: "single", existing: { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-0a", "subnet-0b"], publicSubnetIds: ["subnet-1a", "subnet-1b"] } },
  }),
  prodWithoutPublicCidrs: () => withConfig(prod(), { cluster: { name: "etl-prod", kubernetesVersion: "1.35", publicAccessCidrs: [], adminRoleArns: [] } }),
  /** A Graviton system pool and a Graviton spot pool beside the x86 one; one pipeline's image is multi-arch. */
  stagingGraviton: () => edit(staging(), (base) => ({
    nodePools: {
      system: { instanceTypes: ["t4g.large"], minSize: 1, desiredSize: 2, maxSize: 3, diskSizeGiB: 30, architecture: "arm64" },
      stateful: { instanceTypes: ["r6i.large"], minSize: 1, desiredSize: 1, maxSize: 3, diskSizeGiB: 30 },
      batch: [
        { name: "batch", instanceTypes: X86_SPOT, minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 50 },
        { name: "graviton", architecture: "arm64", instanceTypes: GRAVITON_SPOT, minSize: 0, desiredSize: 0, maxSize: 5, diskSizeGiB: 50 },
        { name: "batch-ondemand", capacityType: "on-demand", instanceTypes: ["m6i.large"], minSize: 0, desiredSize: 0, maxSize: 2, diskSizeGiB: 50 },
      ],
    },
    pipelines: configOf(base, "pipelines").map((pipeline: { name: string }) => (pipeline.name === "orders-daily-report" ? { ...pipeline, imageArchitectures: ["amd64", "arm64"] } : pipeline)),
  })),
  localExternalStore: () => edit(stackSettings("local"), (base) => ({
    // The control plane's address named (kind's Docker network), so the API server's rule opens no public address.
    kubernetesTarget: { ...configOf(base, "kubernetesTarget"), apiServerCidrs: ["172.18.0.0/16"], externalObjectStore: EXTERNAL_STORE },
    secrets: { storeKeyId: "AKIAEXAMPLEKEYID0000", storeSecret: "external-store-secret-key" },
  }), ["etl-platform:secrets"]),
  stagingWithSecrets: () => withSecrets("staging"),
  prodWithSecrets: () => withSecrets("prod"),
  localWithSecrets: () => withSecrets("local"),
  karpenterStaging: () => karpenterStack("staging"),
  karpenterProd: () => karpenterStack("prod"),
} satisfies Record<string, () => StackSettings>;

export type VariantName = keyof typeof variants;

/** What the warm-up plans: each variant in the modes the tests ask for (test: every input; plan: what `npm run plan` shows). */
export const WARM_PLANS: [stack: string, variant: VariantName, mode: Mode][] = [
  ["prod", "prodWithNewPipeline", "plan"],
  ["staging", "stagingRenamedCluster", "plan"],
  ["staging", "stagingNewVpcCidr", "plan"],
  ["staging", "stagingMoreNatBiggerStateful", "plan"],
  ["staging", "stagingArchiveAndRetiredRole", "test"],
  ["staging", "stagingTelemetryOff", "test"],
  ["staging", "stagingExistingVpc", "test"],
  ["prod", "prodWithoutPublicCidrs", "test"],
  ["staging", "stagingGraviton", "test"],
  ["local", "localExternalStore", "test"],
  ["staging", "stagingWithSecrets", "plan"],
  ["staging", "stagingWithSecrets", "test"],
  ["prod", "prodWithSecrets", "plan"],
  ["prod", "prodWithSecrets", "test"],
  ["local", "localWithSecrets", "plan"],
  ["staging", "karpenterStaging", "test"],
  ["prod", "karpenterProd", "test"],
];

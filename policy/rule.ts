/**
 * The shape of the platform's guard rails. A rule checks one resource (`resource`) or the whole stack (`stack`)
 * and returns the violations it finds as messages; `pack.ts` turns rules into a Pulumi policy pack, and the tests
 * run the same functions directly on the program's declared resources.
 */

export type Level = "advisory" | "mandatory";

export interface Resource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, any>;
  /** For each input, the resources its value came from (a node group's subnetIds from the subnets). */
  propertyDependencies?: Record<string, Resource[]>;
}

export interface Rule {
  /** kebab-case, unique: the name in `pulumi preview` output and in the policy config files. */
  name: string;
  /** Why the rule exists and how to fix a violation. */
  description: string;
  /** Enforcement per environment: prod is never less strict than staging. */
  level: { staging: Level; prod: Level };
  resource?: (resource: Resource) => string[];
  stack?: (resources: Resource[]) => { resource?: Resource; message: string }[];
}

export const both = (level: Level) => ({ staging: level, prod: level });
/** Advisory in staging (it may save money there), mandatory in prod. */
export const prodOnly = { staging: "advisory", prod: "mandatory" } as const;

/** Only for the given types: `check` receives the resource's inputs. */
export function forTypes(types: string[], check: (props: Record<string, any>, resource: Resource) => (string | false | undefined)[]) {
  return (resource: Resource) => (types.includes(resource.type) ? check(resource.props, resource).filter((m): m is string => typeof m === "string") : []);
}

export const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const EKS_CLUSTER = "eks:index:Cluster";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const IAM_POLICY = "aws:iam/policy:Policy";
export const CRONJOB = "kubernetes:batch/v1:CronJob";
export const CRONWORKFLOW = "kubernetes:argoproj.io/v1alpha1:CronWorkflow";
export const KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka";
export const KAFKA_NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool";
export const PG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
export const SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const BUCKET = "aws:s3/bucket:Bucket";

/**
 * What the platform layer needs of the cluster it runs on, and nothing else: the Kubernetes provider, a storage
 * class, an S3-compatible object store, where workloads go, and what to wait for. The AWS layer provides it for
 * EKS (components/aws); components/platform/kubernetesTarget.ts provides it for any other cluster.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../../config/schema";
import type { Placements } from "../../lib/placement";

export type { Placements };

/** A bucket the store created for the platform. */
export interface StoreBucket {
  name: pulumi.Output<string>;
}

export type StoreAction = "list" | "read" | "write" | "delete";

/** Access to a prefix of a bucket ("" for the whole bucket); `bucket` is a platform bucket or a bucket's name. */
export interface StoreGrant {
  bucket: StoreBucket | string;
  prefix: string;
  actions: StoreAction[];
}

/** Who gets access: service accounts (each named exactly) of one namespace. */
export interface WorkloadIdentity {
  namespace: string;
  serviceAccounts: string[];
}

/** How a workload authenticates to the store. */
export interface StoreCredentials {
  /** Annotations for the workload's service account (on AWS, the IAM role it assumes through IRSA). */
  serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
  /** A Secret of static keys in the workload's namespace (in-cluster stores); none when the pod's identity is used. */
  secret?: { name: string; accessKeyIdKey: string; secretAccessKeyKey: string };
  /** Resources the workload must wait for (the role, the Secret). */
  ready: pulumi.Resource[];
}

export interface BucketSpec {
  /** What the bucket holds, e.g. `postgres-backups`. */
  purpose: string;
  /** Days a deleted or overwritten object version is kept. */
  retentionDays: number;
  /** Also delete current objects this many days after they are written (artifacts, not backups). */
  expireCurrentAfterDays?: number;
  protect: boolean;
  /**
   * Keep every object version at least this many days, whatever an account with write access does (S3 Object Lock,
   * governance mode: only a principal granted s3:BypassGovernanceRetention can shorten it). Backups in prod.
   */
  lockDays?: number;
}

export interface ObjectStore {
  /** `aws` (S3 with IAM roles), `in-cluster` (an S3-compatible store with generated keys) or `external` (an S3-compatible endpoint outside the cluster, with given keys). */
  kind: "aws" | "in-cluster" | "external";
  /** Host (and port) of the S3 endpoint, as Argo takes it. */
  endpoint: pulumi.Input<string>;
  /** The endpoint as a URL, as boto3 (Barman Cloud) takes it. */
  endpointUrl: pulumi.Input<string>;
  region: pulumi.Input<string>;
  /** Plain HTTP (an in-cluster store without TLS). */
  insecure: boolean;
  /** Environment the Barman Cloud sidecar needs for this store (boto3 checksum defaults a store may refuse). */
  backupClientEnv: { name: string; value: string }[];
  /** The labels of the store's pods and its namespace, for NetworkPolicies; none when it is outside the cluster. */
  inCluster?: { namespace: string; podLabels: Record<string, string>; port: number };
  bucket(name: string, spec: BucketSpec, parent: pulumi.Resource): StoreBucket;
  /** Access for a workload; `after`: what must exist first (the workload's namespace, for a credentials Secret). */
  grant(name: string, identity: WorkloadIdentity, grants: StoreGrant[], parent: pulumi.Resource, after?: pulumi.Resource[]): StoreCredentials;
}

/** Addresses outside the cluster's pods that workloads reach, for their NetworkPolicies' egress rules. */
export interface EgressTargets {
  /**
   * The API server as pods reach it: the `kubernetes` Service's address (a policy sees it before kube-proxy
   * translates it) and where it is translated to (EKS: the control plane's ENIs in the VPC, on 443; kind: the
   * control-plane node, on 6443).
   */
  apiServer: { cidrs: pulumi.Input<string>[]; ports: number[] };
  /** The object store's public addresses, when outside the cluster (S3's prefix list on AWS). */
  objectStore: pulumi.Input<{ cidr: string; except?: string[] }[]>;
  /** The port pods reach it on (443 unless the store says otherwise). */
  objectStorePort?: number;
  /** Where workloads exchange their identity for credentials, on 443 (STS's interface endpoint in the VPC on AWS); none with static keys. */
  identity?: pulumi.Input<{ cidr: string; except?: string[] }[]>;
}

/** Where container logs go, when the target keeps them outside the cluster (CloudWatch Logs on AWS). */
export interface LogSink {
  /**
   * Creates one log group per name (encrypted, with the platform's retention) and the identity of the log agent,
   * allowed to write to those groups only; the agent must not create groups itself.
   */
  groups(name: string, groupNames: string[], agent: WorkloadIdentity, parent: pulumi.Resource): LogGroups;
}

export interface LogGroups {
  region: pulumi.Input<string>;
  /** Annotations of the agent's service account (its IAM role through IRSA). */
  serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
  ready: pulumi.Resource[];
  /** A read-only identity on these groups (Grafana's logs panels): query and read events, nothing else. */
  grantRead(name: string, reader: WorkloadIdentity, parent: pulumi.Resource): { serviceAccountAnnotations: Record<string, pulumi.Input<string>>; ready: pulumi.Resource[] };
}

/** Where traces go, when the target has a tracing service (AWS X-Ray's OTLP endpoint). */
export interface TraceSink {
  /** The collector's identity, allowed to send traces, and the endpoint it sends them to. */
  grant(name: string, collector: WorkloadIdentity, parent: pulumi.Resource): TraceAccess;
}

export interface TraceAccess {
  region: pulumi.Input<string>;
  /** The OTLP/HTTP traces endpoint, e.g. https://xray.<region>.amazonaws.com/v1/traces. */
  endpoint: pulumi.Input<string>;
  /** The SigV4 service name the endpoint expects. */
  signingService: string;
  serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
  ready: pulumi.Resource[];
}

export interface PlatformTarget {
  environment: Environment;
  provider: k8s.Provider;
  storageClassName: string;
  /** A storage class whose volumes are deleted with their claims, for throwaway data (the restore drill). */
  scratchStorageClassName: string;
  objectStore: ObjectStore;
  placement: Placements;
  egress: EgressTargets;
  /**
   * Where the API server's calls to admission webhooks come from, for the ingress rules of webhook ports (EKS: the
   * control plane's ENIs, in the VPC; kind: the control-plane node).
   */
  webhookCallers: pulumi.Input<string>[];
  /** What workloads wait for before they are created (node pools, the storage class). */
  ready: pulumi.Resource[];
  /** CloudWatch Logs on AWS; none elsewhere (logs stay in the cluster). */
  logs?: LogSink;
  /** X-Ray on AWS; none elsewhere. */
  traces?: TraceSink;
}

/**
 * The object store of target: kubernetes in prod (and wherever `kubernetesTarget.externalObjectStore` is set): an
 * S3-compatible endpoint outside the cluster, so that the backups outlive it. Its buckets exist already (the
 * program creates none there) and one key pair, from `etl-platform:secrets`, reaches them: each workload granted
 * access gets a copy in a Secret of its own namespace, as the in-cluster store's keys are given.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import { keysSecretCredentials } from "./inClusterObjectStore";
import type { BucketSpec, ObjectStore, StoreBucket, StoreCredentials, StoreGrant, WorkloadIdentity } from "./target";

export type ExternalStoreConfig = NonNullable<NonNullable<PlatformConfig["kubernetesTarget"]>["externalObjectStore"]>;

/** The configured bucket of each purpose the platform asks a store for. */
const BUCKET_KEYS: Record<string, keyof ExternalStoreConfig["buckets"]> = { "postgres-backups": "postgresBackups", "argo-artifacts": "argoArtifacts" };

/** The endpoint's port: explicit, else the scheme's. */
export function endpointPort(endpoint: string): number {
  const url = new URL(endpoint);
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

export class ExternalObjectStore implements ObjectStore {
  public readonly kind = "external" as const;
  public readonly endpoint: string;
  public readonly endpointUrl: string;
  public readonly region: string;
  public readonly insecure: boolean;
  public readonly backupClientEnv: { name: string; value: string }[] = [];
  /** What the program asked for that only the buckets' owner can set (versioning, locks, expiry), for the docs and the plan. */
  public readonly expectations: { bucket: string; spec: BucketSpec }[] = [];

  constructor(private readonly config: ExternalStoreConfig, private readonly secrets: pulumi.Output<Record<string, string>>, private readonly provider: k8s.Provider) {
    const url = new URL(config.endpoint);
    this.endpoint = `${url.hostname}:${endpointPort(config.endpoint)}`;
    this.endpointUrl = url.origin;
    this.region = config.region;
    this.insecure = url.protocol === "http:";
  }

  bucket(_name: string, spec: BucketSpec): StoreBucket {
    const key = BUCKET_KEYS[spec.purpose];
    if (!key) throw new Error(`no bucket of kubernetesTarget.externalObjectStore.buckets holds ${spec.purpose}`);
    this.expectations.push({ bucket: this.config.buckets[key], spec });
    return { name: pulumi.output(this.config.buckets[key]) };
  }

  grant(name: string, identity: WorkloadIdentity, _grants: StoreGrant[], parent: pulumi.Resource, after: pulumi.Resource[] = []): StoreCredentials {
    const value = (key: string) => pulumi.secret(this.secrets.apply((values) => values[key]));
    return keysSecretCredentials(name, identity, { accessKeyId: value(this.config.accessKeyIdSecret), secretAccessKey: value(this.config.secretAccessKeySecret) }, { parent, provider: this.provider, after });
  }
}

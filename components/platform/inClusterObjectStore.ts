/**
 * The object store of target: kubernetes: SeaweedFS in all-in-one mode with its S3 gateway, in its own namespace.
 * Every workload that is granted access gets its own generated keys, in a Secret of its own namespace, and an
 * identity in the gateway's config allowed exactly the granted actions on the granted prefixes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "crypto";
import { charts, pinnedRelease } from "../../versions";
import type { BucketSpec, ObjectStore, StoreAction, StoreBucket, StoreCredentials, StoreGrant, WorkloadIdentity } from "./target";
import { allowIngress, defaultDenyIngress } from "./networkPolicies";

export const OBJECT_STORE_NAMESPACE = "objectstore";
const RELEASE = "seaweedfs";
/** The all-in-one Service and its S3 port (seaweedfs chart templates/all-in-one/all-in-one-service.yml, s3.port). */
export const S3_SERVICE = `${RELEASE}-all-in-one`;
export const S3_PORT = 8333;
/** The pods of the all-in-one Deployment (templates/all-in-one/all-in-one-deployment.yaml). */
export const STORE_POD_LABELS = { "app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/component": "seaweedfs-all-in-one" };
const CONFIG_SECRET = "seaweedfs-s3-config";
/** Keys of each workload's credentials Secret, as Barman Cloud and Argo reference them. */
export const ACCESS_KEY_ID = "ACCESS_KEY_ID";
export const SECRET_ACCESS_KEY = "ACCESS_SECRET_KEY";

/**
 * SeaweedFS's actions for a grant: Read, Write (which covers deletes) and List, each scoped to `bucket/prefix*`
 * (seaweedfs weed/s3api/auth_credentials.go: "Read:bucket", "Write:bucket/prefix" forms; CanDo matches a
 * listing's prefix against a `List:bucket/prefix*` grant), so a prefixed grant lists only its prefix, as its IAM
 * policy does on S3.
 */
export function seaweedActions(bucket: string, grant: Pick<StoreGrant, "prefix" | "actions">): string[] {
  const scope = `${bucket}${grant.prefix ? `/${grant.prefix}*` : ""}`;
  const verbs = new Set(grant.actions.map((action: StoreAction) => (action === "list" ? "List" : action === "read" ? "Read" : "Write")));
  return [...verbs].map((verb) => `${verb}:${scope}`);
}

/**
 * What in the identities decides who may do what (names, access key ids, actions; never a secret key): a hash of
 * it on the pod template rolls the store when a grant changes. SeaweedFS reads its identities only at start-up or
 * on SIGHUP (seaweedfs 4.44 weed/s3api/auth_credentials.go, weed/s3api/s3api_server.go `grace.OnReload`), and with
 * `existingConfigSecret` the chart adds no checksum of the config to the pod: without this, a grant added by a
 * later `pulumi up` would be refused until someone restarted the pod.
 */
export function identitiesDigest(identities: { name: string; accessKey: string; actions: string[] }[]): string {
  const relevant = identities.map(({ name, accessKey, actions }) => ({ name, accessKey, actions })).sort((a, b) => a.name.localeCompare(b.name));
  return createHash("sha256").update(JSON.stringify(relevant)).digest("hex");
}
export const IDENTITIES_ANNOTATION = "etl-platform/identities-sha256";

/** The gateway's identities file (the chart's `seaweedfs_s3_config` key: templates/s3/s3-secret.yaml). */
export function seaweedS3Config(identities: { name: string; accessKey: string; secretKey: string; actions: string[] }[]): string {
  return JSON.stringify({ identities: identities.map((i) => ({ name: i.name, credentials: [{ accessKey: i.accessKey, secretKey: i.secretKey }], actions: i.actions })) });
}

/**
 * A workload's S3 keys as a Secret of its namespace (`<first service account>-object-store`), as Barman Cloud and
 * Argo reference them: the credentials of a store whose workloads hold static keys.
 */
export function keysSecretCredentials(name: string, identity: WorkloadIdentity, keys: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> },
  opts: { parent: pulumi.Resource; provider: k8s.Provider; after: pulumi.Resource[] }): StoreCredentials {
  const secretName = `${identity.serviceAccounts[0]}-object-store`;
  const secret = new k8s.core.v1.Secret(`${name}-object-store`, {
    metadata: { name: secretName, namespace: identity.namespace },
    stringData: { [ACCESS_KEY_ID]: keys.accessKeyId, [SECRET_ACCESS_KEY]: keys.secretAccessKey },
  }, { parent: opts.parent, provider: opts.provider, dependsOn: opts.after });
  return { serviceAccountAnnotations: {}, secret: { name: secretName, accessKeyIdKey: ACCESS_KEY_ID, secretAccessKeyKey: SECRET_ACCESS_KEY }, ready: [secret] };
}

interface PendingIdentity {
  name: string;
  accessKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
  actions: pulumi.Output<string[]>;
}

export class InClusterObjectStore implements ObjectStore {
  public readonly kind = "in-cluster" as const;
  public readonly endpoint = `${S3_SERVICE}.${OBJECT_STORE_NAMESPACE}.svc:${S3_PORT}`;
  /**
   * Clients address buckets by path here, as the gateway needs (no per-bucket DNS names in the cluster): boto3 and
   * minio-go (Argo's S3 driver) choose virtual-host addressing only for AWS's own endpoints.
   */
  public readonly endpointUrl = `http://${this.endpoint}`;
  public readonly region = "us-east-1";
  public readonly insecure = true;
  /**
   * boto3 >= 1.36 (Barman Cloud's client) adds CRC32 checksums to every upload by default, which SeaweedFS stored
   * into the object instead of checking (seaweedfs/seaweedfs#6548); only when required keeps uploads byte-exact.
   */
  public readonly backupClientEnv = [
    { name: "AWS_REQUEST_CHECKSUM_CALCULATION", value: "when_required" },
    { name: "AWS_RESPONSE_CHECKSUM_VALIDATION", value: "when_required" },
  ];
  public readonly inCluster = { namespace: OBJECT_STORE_NAMESPACE, podLabels: STORE_POD_LABELS, port: S3_PORT };
  private readonly buckets: { name: string; spec: BucketSpec }[] = [];
  private readonly identities: PendingIdentity[] = [];

  constructor(private readonly provider: k8s.Provider) {}

  bucket(name: string, spec: BucketSpec): StoreBucket {
    // Bucket names are the platform's own here (no global namespace to share, as on S3).
    const bucketName = spec.purpose;
    this.buckets.push({ name: bucketName, spec });
    return { name: pulumi.output(bucketName) };
  }

  grant(name: string, identity: WorkloadIdentity, grants: StoreGrant[], parent: pulumi.Resource, after: pulumi.Resource[] = []): StoreCredentials {
    const accessKey = new random.RandomString(`${name}-access-key`, { length: 20, special: false, upper: true, lower: false }, { parent });
    const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 40, special: false }, { parent });
    const actions = pulumi.all(grants.map((grant) => pulumi.output(typeof grant.bucket === "string" ? grant.bucket : grant.bucket.name)
      .apply((bucket) => seaweedActions(bucket, grant)))).apply((lists) => lists.flat());
    this.identities.push({ name, accessKey: accessKey.result, secretKey: secretKey.result, actions });
    this.clientNamespaces.add(identity.namespace);
    return keysSecretCredentials(name, identity, { accessKeyId: accessKey.result, secretAccessKey: secretKey.result }, { parent, provider: this.provider, after });
  }

  /** Namespaces of the workloads granted access: only they reach the S3 port. */
  private readonly clientNamespaces = new Set<string>();

  /**
   * Installs the store once every bucket and grant is known: the identities Secret, then the chart. `readers`:
   * namespaces that read with another workload's keys (Argo's server shows archived step logs). `keepVolume`:
   * the data volume survives an uninstall (prod: the store holds the backups).
   */
  install(name: string, args: { storageClassName: string; size: string; readers?: string[]; keepVolume?: boolean }, parent: pulumi.Resource): k8s.helm.v3.Release {
    const opts = { parent, provider: this.provider };
    // SeaweedFS's image runs as root: the namespace enforces `baseline`, and warns about `restricted`.
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
      metadata: { name: OBJECT_STORE_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted" } },
    }, opts);
    const config = new k8s.core.v1.Secret(`${name}-s3-config`, {
      metadata: { name: CONFIG_SECRET, namespace: OBJECT_STORE_NAMESPACE },
      stringData: {
        seaweedfs_s3_config: pulumi.secret(pulumi.all(this.identities.map((i) => pulumi.all([i.accessKey, i.secretKey, i.actions])
          .apply(([accessKey, secretKey, actions]) => ({ name: i.name, accessKey, secretKey, actions }))))
          .apply(seaweedS3Config)),
      },
    }, { ...opts, dependsOn: [namespace] });
    // Only the S3 gateway is a service: the master, volume and filer ports stay within the namespace (the chart's
    // bucket hook talks to the master from it).
    const clients = [...new Set([...this.clientNamespaces, ...(args.readers ?? [])])].sort();
    for (const policy of [
      defaultDenyIngress(OBJECT_STORE_NAMESPACE),
      allowIngress(OBJECT_STORE_NAMESPACE, { name: "allow-s3-clients", podLabels: STORE_POD_LABELS, fromNamespaces: clients, ports: [S3_PORT] }),
      { metadata: { name: "allow-same-namespace", namespace: OBJECT_STORE_NAMESPACE }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] } },
    ]) {
      new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, { metadata: policy.metadata, spec: policy.spec }, { ...opts, dependsOn: [namespace] });
    }
    const digest = pulumi.all(this.identities.map((i) => pulumi.all([i.accessKey, i.actions]).apply(([accessKey, actions]) => ({ name: i.name, accessKey, actions })))).apply(identitiesDigest);
    return new k8s.helm.v3.Release(name, pinnedRelease(RELEASE, charts.seaweedfs, OBJECT_STORE_NAMESPACE, seaweedValues(this.buckets.map((b) => b.name), { ...args, identitiesDigest: digest })), {
      ...opts,
      dependsOn: [namespace, config],
    });
  }
}

/**
 * One all-in-one pod (master, volume, filer, S3 gateway) on a volume of the cluster's storage class, S3 with
 * authentication from our identities Secret, and the platform's buckets created at install.
 */
export function seaweedValues(buckets: string[], args: { storageClassName: string; size: string; keepVolume?: boolean; identitiesDigest: pulumi.Input<string> }) {
  return {
    master: { enabled: false },
    volume: { enabled: false },
    filer: { enabled: false },
    allInOne: {
      enabled: true,
      // The chart's default anti-affinity wants one pod per node; one replica needs none.
      affinity: "",
      // A new hash when a grant changes rolls the pod, which then loads the new identities (identitiesDigest).
      podAnnotations: { [IDENTITIES_ANNOTATION]: args.identitiesDigest },
      s3: {
        enabled: true,
        enableAuth: true,
        existingConfigSecret: CONFIG_SECRET,
        createBuckets: buckets.map((name) => ({ name, anonymousRead: false })),
      },
      // Helm keeps a resource annotated resource-policy: keep on uninstall (Helm docs, "Tell Helm Not To
      // Uninstall a Resource"); the chart passes allInOne.data.annotations to the PVC.
      data: { type: "persistentVolumeClaim", size: args.size, storageClass: args.storageClassName, ...(args.keepVolume ? { annotations: { "helm.sh/resource-policy": "keep" } } : {}) },
      // The chart's default asks for no memory and allows 2 CPUs and 2Gi; a laptop or CI runner wants it small.
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    },
  };
}

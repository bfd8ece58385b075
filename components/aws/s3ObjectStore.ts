/**
 * The platform's object store on AWS: S3 buckets (versioned, KMS-encrypted, access-logged, through BackupBucket)
 * and, per workload, an IAM role its service accounts assume through IRSA, allowed exactly the granted actions.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument, PolicyStatement } from "../../lib/iam";
import type { BucketSpec, ObjectStore, StoreAction, StoreBucket, StoreCredentials, StoreGrant, WorkloadIdentity } from "../platform/target";
import { BackupBucket } from "./backupBucket";
import { WorkloadRole, type OidcProvider } from "./workloadRole";

interface ManagedBucket extends StoreBucket {
  arn: pulumi.Output<string>;
  keyArn: pulumi.Output<string>;
}

const OBJECT_ACTIONS: Record<Exclude<StoreAction, "list">, string[]> = {
  read: ["s3:GetObject"],
  write: ["s3:PutObject", "s3:AbortMultipartUpload"],
  delete: ["s3:DeleteObject"],
};
/** SSE-KMS: reading decrypts; writing needs a data key (GenerateDataKey), and Decrypt for multipart uploads. */
const KEY_ACTIONS: Record<Exclude<StoreAction, "list">, string[]> = {
  read: ["kms:Decrypt", "kms:DescribeKey"],
  write: ["kms:GenerateDataKey", "kms:Decrypt"],
  delete: [],
};

/** A resolved grant: the bucket's ARN, and its key's when the platform created (and encrypts) it. */
export interface ResolvedGrant {
  bucketArn: string;
  keyArn?: string;
  prefix: string;
  actions: StoreAction[];
}

/** The IAM statements that allow exactly the grants: listing limited to the prefix, objects under it, its key. */
export function grantPolicy(grants: ResolvedGrant[]): PolicyDocument {
  const statements: PolicyStatement[] = [];
  grants.forEach((grant, i) => {
    if (grant.actions.includes("list")) {
      statements.push({
        Sid: `List${i}`,
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: grant.bucketArn,
        ...(grant.prefix ? { Condition: { StringLike: { "s3:prefix": `${grant.prefix}*` } } } : {}),
      });
    }
    const objectActions = grant.actions.flatMap((action) => (action === "list" ? [] : OBJECT_ACTIONS[action]));
    if (objectActions.length > 0) statements.push({ Sid: `Objects${i}`, Effect: "Allow", Action: objectActions, Resource: `${grant.bucketArn}/${grant.prefix}*` });
    const keyActions = [...new Set(grant.actions.flatMap((action) => (action === "list" ? [] : KEY_ACTIONS[action])))];
    if (grant.keyArn && keyActions.length > 0) statements.push({ Sid: `Key${i}`, Effect: "Allow", Action: keyActions, Resource: grant.keyArn });
  });
  return { Version: "2012-10-17", Statement: statements };
}

export interface S3ObjectStoreArgs {
  region: pulumi.Input<string>;
  oidc: OidcProvider;
  accessLogBucket: pulumi.Input<string>;
  /** Who alone may delete or disable a protected bucket's key. */
  breakGlassRoleArns: string[];
  tags: Record<string, string>;
}

export function s3ObjectStore(args: S3ObjectStoreArgs): ObjectStore {
  const managed = new Map<StoreBucket, ManagedBucket>();
  const resolve = (grants: StoreGrant[]) => pulumi.all(grants.map((grant) => {
    const bucket = typeof grant.bucket === "string" ? undefined : managed.get(grant.bucket);
    if (typeof grant.bucket !== "string" && !bucket) throw new Error("a grant names a bucket this store did not create");
    return pulumi.all([bucket?.arn ?? `arn:aws:s3:::${grant.bucket as string}`, bucket?.keyArn]).apply(([bucketArn, keyArn]): ResolvedGrant => ({ bucketArn, keyArn, prefix: grant.prefix, actions: grant.actions }));
  }));
  return {
    kind: "aws",
    endpoint: pulumi.interpolate`s3.${args.region}.amazonaws.com`,
    endpointUrl: pulumi.interpolate`https://s3.${args.region}.amazonaws.com`,
    region: args.region,
    insecure: false,
    backupClientEnv: [],
    bucket(name: string, spec: BucketSpec, parent: pulumi.Resource): StoreBucket {
      const bucket = new BackupBucket(name, { ...spec, accessLogBucket: args.accessLogBucket, breakGlassRoleArns: args.breakGlassRoleArns, tags: args.tags }, { parent });
      const handle: ManagedBucket = { name: bucket.bucketName, arn: bucket.arn, keyArn: bucket.keyArn };
      managed.set(handle, handle);
      return handle;
    },
    grant(name: string, identity: WorkloadIdentity, grants: StoreGrant[], parent: pulumi.Resource): StoreCredentials {
      const role = new WorkloadRole(name, {
        oidc: args.oidc,
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccounts.length === 1 ? identity.serviceAccounts[0] : identity.serviceAccounts,
        policy: resolve(grants).apply(grantPolicy),
        tags: args.tags,
      }, { parent });
      return { serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": role.arn }, ready: [role] };
    },
  };
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument } from "../../lib/iam";
import { guardedKeyPolicy } from "./keyGuard";

export interface BackupBucketArgs {
  /** What the bucket holds, e.g. `postgres-backups`; part of its name. */
  purpose: string;
  /** Days a deleted or overwritten object version is kept before S3 removes it. */
  retentionDays: number;
  /** Also delete current objects this many days after they are written (artifacts; not backups, which manage their own retention). */
  expireCurrentAfterDays?: number;
  /** Protect the bucket, its key and every setting of it from `pulumi destroy` (prod). */
  protect: boolean;
  /** S3 Object Lock in governance mode with this default retention (BucketSpec.lockDays). */
  lockDays?: number;
  /** With protect: who alone may schedule the key's deletion or disable it (keyGuard.ts). */
  breakGlassRoleArns?: string[];
  /** Where S3 server access logs of this bucket go (the platform's access-log bucket), under the bucket's purpose. */
  accessLogBucket: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** Refuses any request that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    }],
  };
}

/**
 * A private S3 bucket for backups or artifacts: versioned, encrypted with its own KMS key, public access blocked,
 * TLS only, access-logged, and old versions expired after the retention period.
 */
export class BackupBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  public readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:storage:BackupBucket", name, {}, opts);
    const { tags, protect } = args;
    // In prod every setting of the bucket is protected too: deleting a BucketVersioning resource suspends
    // versioning, deleting the lifecycle or the policy drops the retention or the TLS rule (pulumi-aws, "Deleting
    // an aws.s3.BucketVersioning resource ... suspends versioning"). Those three are also kept on a delete
    // (retainOnDelete): a `pulumi state delete` or a refactor that drops them leaves the bucket as it was.
    const child = { parent: this, protect };
    const kept = { ...child, retainOnDelete: protect };
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const key = new aws.kms.Key(name, {
      description: `${args.purpose} bucket`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: account.accountId.apply((accountId) => JSON.stringify(guardedKeyPolicy(accountId, protect ? args.breakGlassRoleArns ?? [] : undefined))),
      tags,
    }, { parent: this, protect });
    const bucket = new aws.s3.Bucket(name, { bucketPrefix: `${args.purpose}-`, forceDestroy: !protect, tags }, { parent: this, protect });
    new aws.s3.BucketPublicAccessBlock(name, {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, child);
    new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, kept);
    new aws.s3.BucketServerSideEncryptionConfiguration(name, {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
    }, child);
    if (args.lockDays !== undefined) {
      // Object Lock on a versioned bucket (S3 allows enabling it on an existing bucket since 2023): every new
      // version is kept lockDays in governance mode. Deleting a key still works (a delete marker); removing a
      // version does not, so the lifecycle's noncurrent expiry (retentionDays >= lockDays) removes it afterwards.
      new aws.s3.BucketObjectLockConfiguration(name, {
        bucket: bucket.id,
        objectLockEnabled: "Enabled",
        rule: { defaultRetention: { mode: "GOVERNANCE", days: args.lockDays } },
      }, { ...kept, dependsOn: [versioning] });
    }
    new aws.s3.BucketLifecycleConfiguration(name, {
      bucket: bucket.id,
      rules: [{
        id: "expire-old-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: args.retentionDays },
        ...(args.expireCurrentAfterDays !== undefined ? { expiration: { days: args.expireCurrentAfterDays } } : {}),
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      }],
    }, { ...kept, dependsOn: [versioning] });
    new aws.s3.BucketPolicy(name, { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) }, kept);
    // Who read, wrote or deleted which backup: CIS / Security Hub S3.9.
    new aws.s3.BucketLogging(name, { bucket: bucket.id, targetBucket: args.accessLogBucket, targetPrefix: `${args.purpose}/` }, child);

    this.bucketName = bucket.bucket;
    this.arn = bucket.arn;
    this.keyArn = key.arn;
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}

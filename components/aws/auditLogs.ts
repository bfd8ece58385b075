import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument } from "../../lib/iam";
import { tlsOnlyBucketPolicy } from "./backupBucket";
import { keyDeletionGuard } from "./keyGuard";

export const PURPOSE_TAG = "etl-platform/purpose";

export interface AuditLogsArgs {
  /** `logging.retentionDays`: how long log groups keep events and the access-log bucket keeps objects. */
  retentionDays: number;
  protect: boolean;
  /** With protect: who alone may delete or disable the log key (keyGuard.ts). */
  breakGlassRoleArns: string[];
  tags: Record<string, string>;
}

/**
 * Who may use the log-group key: the account's administrators (IAM policies decide, as with a default key
 * policy), and CloudWatch Logs of this region for this account's log groups only.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function logKeyPolicy(accountId: string, region: string, guard?: string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "CloudWatchLogsEncrypts",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${accountId}:log-group:*` } },
      },
      ...(guard ? [keyDeletionGuard(guard)] : []),
    ],
  };
}

/**
 * S3 server access logging writes as the logging service; the grant is a bucket policy (the bucket enforces
 * owner ownership, so ACL grants are off), limited to this account's buckets.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 */
export function accessLogBucketPolicy(bucketArn: string, accountId: string): PolicyDocument {
  const tlsOnly = tlsOnlyBucketPolicy(bucketArn);
  return {
    Version: "2012-10-17",
    Statement: [
      ...tlsOnly.Statement,
      {
        Sid: "S3ServerAccessLogs",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/**
 * The platform's audit trail: a KMS key for every CloudWatch log group the platform creates (control plane,
 * VPC flow logs), and a bucket that receives the S3 server access logs of the backup and artifact buckets.
 */
export class AuditLogs extends pulumi.ComponentResource {
  public readonly logKeyArn: pulumi.Output<string>;
  public readonly accessLogBucket: pulumi.Output<string>;
  public readonly retentionDays: number;

  constructor(name: string, args: AuditLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:security:AuditLogs", name, {}, opts);
    const { tags, protect } = args;
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });

    const key = new aws.kms.Key(`${name}-logs`, {
      description: "CloudWatch log groups of the ETL platform",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi.all([account.accountId, region.region]).apply(([accountId, regionName]) => JSON.stringify(logKeyPolicy(accountId, regionName, protect ? args.breakGlassRoleArns : undefined))),
      tags,
    }, { parent: this, protect });

    const bucket = new aws.s3.Bucket(`${name}-access-logs`, {
      bucketPrefix: "access-logs-",
      forceDestroy: !protect,
      // The policy pack's bucket rule recognises an access-log target by this tag (SSE-S3 instead of SSE-KMS).
      tags: { ...tags, [PURPOSE_TAG]: "access-logs" },
    }, { parent: this, protect });
    new aws.s3.BucketPublicAccessBlock(`${name}-access-logs`, {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, { parent: this });
    new aws.s3.BucketOwnershipControls(`${name}-access-logs`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    // A target bucket of server access logs must use SSE-S3: S3 cannot deliver into a bucket whose default
    // encryption is SSE-KMS (see the page above, "destination bucket" requirements).
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-access-logs`, {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }, { parent: this });
    new aws.s3.BucketLifecycleConfiguration(`${name}-access-logs`, {
      bucket: bucket.id,
      rules: [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: args.retentionDays }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }],
    }, { parent: this });
    new aws.s3.BucketPolicy(`${name}-access-logs`, {
      bucket: bucket.id,
      policy: pulumi.all([bucket.arn, account.accountId]).apply(([arn, accountId]) => JSON.stringify(accessLogBucketPolicy(arn, accountId))),
    }, { parent: this });

    this.logKeyArn = key.arn;
    this.accessLogBucket = bucket.bucket;
    this.retentionDays = args.retentionDays;
    this.registerOutputs({ logKeyArn: this.logKeyArn, accessLogBucket: this.accessLogBucket });
  }
}

/** What a component needs to keep logs the platform's way: retention, the log-group key, the access-log bucket. */
export interface LogSettings {
  retentionDays: number;
  logKeyArn: pulumi.Input<string>;
  accessLogBucket: pulumi.Input<string>;
}

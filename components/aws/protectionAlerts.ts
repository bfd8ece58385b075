/**
 * An alert when someone weakens what protects the backups and the audit trail (prod): a KMS key scheduled for
 * deletion, disabled or given a new policy; a protected bucket's versioning, lifecycle, policy or Object Lock
 * changed, or the bucket deleted. EventBridge matches the API calls CloudTrail records (a trail logging management
 * events must exist in the account: "AWS API Call via CloudTrail" events need one) and sends them to an SNS topic,
 * and to each alert receiver through an API destination, outside the cluster an attacker may hold.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { MonitoringConfig } from "../../config/schema";
import { servicePrincipalTrustPolicy, type PolicyDocument } from "../../lib/iam";

export const WATCHED_KEY_CALLS = ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"];
export const WATCHED_BUCKET_CALLS = [
  "PutBucketVersioning", "PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle",
  "PutBucketPolicy", "DeleteBucketPolicy", "PutObjectLockConfiguration", "DeleteBucket",
];

/** The rules' event patterns: the key calls on any key of the account, the bucket calls on the protected buckets. */
export function protectionEventPatterns(bucketPrefixes: string[]) {
  const cloudTrail = { "detail-type": ["AWS API Call via CloudTrail"] };
  return {
    keys: { source: ["aws.kms"], ...cloudTrail, detail: { eventSource: ["kms.amazonaws.com"], eventName: WATCHED_KEY_CALLS } },
    buckets: {
      source: ["aws.s3"],
      ...cloudTrail,
      detail: { eventSource: ["s3.amazonaws.com"], eventName: WATCHED_BUCKET_CALLS, requestParameters: { bucketName: bucketPrefixes.map((prefix) => ({ prefix })) } },
    },
  };
}

const MESSAGE = "<user> called <event> on <target> in <region>: the protection of the platform's backups or audit trail changed";
/** What the message names: the call, who made it, where, and the key or bucket (a string, so the JSON stays valid). */
const inputPathsFor = (id: string) => ({
  event: "$.detail.eventName", user: "$.detail.userIdentity.arn", region: "$.region",
  target: id === "keys" ? "$.detail.requestParameters.keyId" : "$.detail.requestParameters.bucketName",
});

/** What each receiver type is sent (Slack's incoming webhook, PagerDuty's Events API v2, a plain webhook). */
export function receiverPayload(type: MonitoringConfig["receivers"][number]["type"], routingKey?: pulumi.Input<string>): pulumi.Input<string> {
  if (type === "slack") return JSON.stringify({ text: MESSAGE });
  if (type === "pagerduty") {
    return pulumi.output(routingKey ?? "").apply((key) => JSON.stringify({ routing_key: key, event_action: "trigger", payload: { summary: MESSAGE, source: "etl-platform", severity: "critical" } }));
  }
  return JSON.stringify({ alert: "BackupProtectionChanged", message: MESSAGE });
}

export function invokeDestinationsPolicy(destinationArns: string[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: [{ Sid: "InvokeReceivers", Effect: "Allow", Action: ["events:InvokeApiDestination"], Resource: destinationArns }] };
}

export interface ProtectionAlertsArgs {
  bucketPrefixes: string[];
  receivers: MonitoringConfig["receivers"];
  secrets: pulumi.Output<Record<string, string>>;
  tags: Record<string, string>;
}

export class ProtectionAlerts extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: ProtectionAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:security:ProtectionAlerts", name, {}, opts);
    const parent = { parent: this };
    const topic = new aws.sns.Topic(`${name}`, { kmsMasterKeyId: "alias/aws/sns", tags: args.tags }, parent);
    new aws.sns.TopicPolicy(`${name}`, {
      arn: topic.arn,
      policy: topic.arn.apply((arn) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "EventBridgePublishes", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: arn }],
      })),
    }, parent);

    // One API destination per receiver; the receiver's URL (or PagerDuty's routing key) stays a Pulumi secret.
    const destinations = args.receivers.map((receiver) => {
      const secret = args.secrets.apply((values) => values[receiver.secret] ?? "");
      const connection = new aws.cloudwatch.EventConnection(`${name}-${receiver.name}`, {
        // Receivers authenticate by their URL or routing key; EventBridge requires an authorization all the same.
        authorizationType: "API_KEY",
        authParameters: { apiKey: { key: "X-Etl-Platform", value: "protection-alert" } },
      }, parent);
      const destination = new aws.cloudwatch.EventApiDestination(`${name}-${receiver.name}`, {
        connectionArn: connection.arn,
        httpMethod: "POST",
        invocationEndpoint: receiver.type === "pagerduty" ? "https://events.pagerduty.com/v2/enqueue" : pulumi.secret(secret),
        invocationRateLimitPerSecond: 1,
      }, parent);
      return { receiver, destination, routingKey: receiver.type === "pagerduty" ? pulumi.secret(secret) : undefined };
    });
    const invokeRole = destinations.length > 0
      ? new aws.iam.Role(`${name}-invoke`, { assumeRolePolicy: JSON.stringify(servicePrincipalTrustPolicy("events.amazonaws.com")), tags: args.tags }, parent)
      : undefined;
    if (invokeRole) {
      new aws.iam.RolePolicy(`${name}-invoke`, {
        role: invokeRole.name,
        policy: pulumi.all(destinations.map((d) => d.destination.arn)).apply((arns) => JSON.stringify(invokeDestinationsPolicy(arns))),
      }, parent);
    }

    const patterns = protectionEventPatterns(args.bucketPrefixes);
    for (const [id, pattern] of Object.entries(patterns)) {
      const rule = new aws.cloudwatch.EventRule(`${name}-${id}`, {
        description: `etl-platform: ${id === "keys" ? "a KMS key" : "a protected bucket"}'s protection changed`,
        eventPattern: JSON.stringify(pattern),
        tags: args.tags,
      }, parent);
      new aws.cloudwatch.EventTarget(`${name}-${id}-topic`, { rule: rule.name, arn: topic.arn }, parent);
      for (const { receiver, destination, routingKey } of destinations) {
        new aws.cloudwatch.EventTarget(`${name}-${id}-${receiver.name}`, {
          rule: rule.name,
          arn: destination.arn,
          roleArn: invokeRole!.arn,
          inputTransformer: { inputPaths: inputPathsFor(id), inputTemplate: receiverPayload(receiver.type, routingKey) },
        }, parent);
      }
    }
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}

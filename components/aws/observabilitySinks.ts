/**
 * Where the platform's telemetry leaves the cluster on AWS: container logs into CloudWatch Logs groups the program
 * creates (encrypted with the platform's log key, kept for `logging.retentionDays`), traces to X-Ray's OTLP
 * endpoint. Each writer is an IRSA role allowed exactly its writes.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument } from "../../lib/iam";
import type { LogSink, TraceSink } from "../platform/target";
import { WorkloadRole, type OidcProvider } from "./workloadRole";

/**
 * The log agent's permissions: create streams in, and put events to, the given groups; never create a group (an
 * unforeseen namespace would get an unencrypted group that never expires). CreateLogStream authorizes on the
 * group, PutLogEvents on the stream (Service Authorization Reference, Amazon CloudWatch Logs).
 */
export function logAgentPolicy(groupArns: string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{
      Sid: "WriteOwnLogGroups",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: groupArns.flatMap((arn) => [arn, `${arn}:log-stream:*`]),
    }],
  };
}

/**
 * A reader of the groups (Grafana's CloudWatch data source): Logs Insights queries and event reads on these groups.
 * GetQueryResults and StopQuery take no resource; DescribeLogGroups is scoped to the groups' name prefix.
 */
export function logReaderPolicy(groupArns: string[], prefixArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadOwnLogGroups",
        Effect: "Allow",
        Action: ["logs:StartQuery", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams", "logs:GetLogGroupFields"],
        Resource: groupArns.flatMap((arn) => [arn, `${arn}:log-stream:*`]),
      },
      { Sid: "ListOwnLogGroups", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: prefixArn },
      { Sid: "QueryResults", Effect: "Allow", Action: ["logs:GetQueryResults", "logs:StopQuery"], Resource: "*" },
    ],
  };
}

/** The collector's permission for X-Ray's OTLP endpoint: PutTraceSegments, which has no resource scoping. */
export function traceWriterPolicy(): PolicyDocument {
  return { Version: "2012-10-17", Statement: [{ Sid: "SendTraces", Effect: "Allow", Action: ["xray:PutTraceSegments"], Resource: "*" }] };
}

export interface SinkArgs {
  region: pulumi.Input<string>;
  oidc: OidcProvider;
  tags: Record<string, string>;
}

export function cloudWatchLogSink(args: SinkArgs & { retentionDays: number; logKeyArn: pulumi.Input<string>; protect: boolean }): LogSink {
  return {
    groups(name, groupNames, agent, parent) {
      // Resource names from the path below `/etl/<cluster>/`: `<name>-pipelines-orders-load`.
      const groups = groupNames.map((groupName) => new aws.cloudwatch.LogGroup(`${name}-${groupName.split("/").slice(3).join("-")}`, {
        name: groupName,
        retentionInDays: args.retentionDays,
        kmsKeyId: args.logKeyArn,
        tags: args.tags,
      }, { parent, protect: args.protect }));
      const role = new WorkloadRole(`${name}-agent`, {
        oidc: args.oidc,
        namespace: agent.namespace,
        serviceAccount: agent.serviceAccounts,
        policy: pulumi.all(groups.map((group) => group.arn)).apply(logAgentPolicy),
        tags: args.tags,
      }, { parent });
      const arns = pulumi.all(groups.map((group) => group.arn));
      // Every group's name starts with `/etl/<cluster>/`: the listing prefix.
      const prefix = `${groupNames[0].split("/").slice(0, 3).join("/")}/`;
      const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
      const prefixArn = pulumi.interpolate`arn:aws:logs:${args.region}:${account}:log-group:${prefix}*`;
      return {
        region: args.region,
        serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": role.arn },
        ready: [role, ...groups],
        grantRead(readerName, reader, readerParent) {
          const readerRole = new WorkloadRole(`${readerName}-logs-reader`, {
            oidc: args.oidc,
            namespace: reader.namespace,
            serviceAccount: reader.serviceAccounts,
            policy: pulumi.all([arns, prefixArn]).apply(([all, prefixed]) => logReaderPolicy(all, prefixed)),
            tags: args.tags,
          }, { parent: readerParent });
          return { serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": readerRole.arn }, ready: [readerRole] };
        },
      };
    },
  };
}

export function xrayTraceSink(args: SinkArgs): TraceSink {
  return {
    grant(name, collector, parent) {
      const role = new WorkloadRole(`${name}-traces`, {
        oidc: args.oidc,
        namespace: collector.namespace,
        serviceAccount: collector.serviceAccounts,
        policy: traceWriterPolicy(),
        tags: args.tags,
      }, { parent });
      return {
        region: args.region,
        // The OTLP/HTTP traces endpoint of X-Ray; it needs CloudWatch Transaction Search on in the account and
        // region (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-OTLPEndpoint.html).
        endpoint: pulumi.interpolate`https://xray.${args.region}.amazonaws.com/v1/traces`,
        signingService: "xray",
        serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": role.arn },
        ready: [role],
      };
    },
  };
}

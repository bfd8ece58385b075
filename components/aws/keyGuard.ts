/**
 * Keys whose loss erases data (the backups', the audit logs'): in prod no one may schedule their deletion or
 * disable them but the break-glass roles (`security.breakGlassRoleArns`). Without one, the statement must first be
 * removed from the key policy, a change of its own that CloudTrail records.
 */
import type { PolicyStatement } from "../../lib/iam";

export function keyDeletionGuard(breakGlassRoleArns: string[]): PolicyStatement {
  return {
    Sid: "OnlyBreakGlassDeletesOrDisables",
    Effect: "Deny",
    Principal: { AWS: "*" },
    Action: ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
    Resource: "*",
    ...(breakGlassRoleArns.length > 0 ? { Condition: { ArnNotLike: { "aws:PrincipalArn": breakGlassRoleArns } } } : {}),
  };
}

/** A default key policy (the account's IAM policies decide) with the deletion guard when `guard` is set. */
export function guardedKeyPolicy(accountId: string, guard: string[] | undefined) {
  return {
    Version: "2012-10-17" as const,
    Statement: [
      { Sid: "AccountAdministers", Effect: "Allow" as const, Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
      ...(guard ? [keyDeletionGuard(guard)] : []),
    ],
  };
}

/**
 * A small evaluator of IAM identity policies, enough to ask "may this role do this action on this resource":
 * an explicit Deny wins, then any Allow whose Action and Resource match (with `*` and `?` wildcards, actions
 * case-insensitively). Conditions are not evaluated; statements with conditions are reported by `conditionsOf`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import type { PolicyDocument, PolicyStatement } from "../../lib/iam";

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function wildcard(pattern: string, flags = ""): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, flags);
}

function matches(statement: PolicyStatement, action: string, resource: string): boolean {
  const actionMatches = list(statement.Action).some((pattern) => wildcard(pattern, "i").test(action));
  const resourceMatches = list(statement.Resource).some((pattern) => wildcard(pattern).test(resource));
  return actionMatches && resourceMatches;
}

export function allows(policy: PolicyDocument, action: string, resource: string): boolean {
  if (policy.Statement.some((s) => s.Effect === "Deny" && matches(s, action, resource))) return false;
  return policy.Statement.some((s) => s.Effect === "Allow" && matches(s, action, resource));
}

/** The conditions of the statements that would allow the request (so a test can check what they require). */
export function conditionsOf(policy: PolicyDocument, action: string, resource: string): PolicyStatement["Condition"][] {
  return policy.Statement.filter((s) => s.Effect === "Allow" && matches(s, action, resource)).map((s) => s.Condition);
}

/** Keys a stack file sets that its target does not use (checked on the raw file, before any default). */

export interface TargetProblem {
  path: (string | number)[];
  message: string;
}

/** Sections that only the AWS layer reads. */
export const AWS_ONLY_SECTIONS = ["network", "cluster", "logging", "security", "nodePools", "autoscaler", "costBudget"];

/**
 * Keys a stack file sets that its target does not use: on `target: kubernetes` the AWS layer's sections and a
 * pipeline's `s3` (an IAM role for S3 prefixes); on `target: aws` the kubernetesTarget section. Checked on the raw
 * stack file, before the environment's defaults fill every section in.
 */
export function targetProblems(raw: Record<string, unknown>): TargetProblem[] {
  const target = raw.target ?? "aws";
  const problems: TargetProblem[] = [];
  if (target === "kubernetes") {
    for (const section of AWS_ONLY_SECTIONS) {
      if (raw[section] !== undefined) problems.push({ path: [section], message: `expected nothing on target: kubernetes (AWS only: it configures the EKS cluster, its VPC, node pools, log groups or the AWS cost budget); remove it, or set target: aws` });
    }
    const telemetry = raw.telemetry as Record<string, unknown> | undefined;
    if (telemetry && typeof telemetry === "object" && telemetry.traces === "xray") {
      problems.push({ path: ["telemetry", "traces"], message: 'expected "none" on target: kubernetes (X-Ray is an AWS service; traces stay in the cluster); remove it, or set target: aws' });
    }
    if (Array.isArray(raw.pipelines)) {
      raw.pipelines.forEach((pipeline, i) => {
        if (pipeline && typeof pipeline === "object" && (pipeline as Record<string, unknown>).s3 !== undefined) {
          problems.push({ path: ["pipelines", i, "s3"], message: "expected nothing on target: kubernetes (S3 access is an AWS IAM role); read and write through the in-cluster object store instead, or set target: aws" });
        }
      });
    }
  } else if (raw.kubernetesTarget !== undefined) {
    problems.push({ path: ["kubernetesTarget"], message: `expected nothing on target: ${JSON.stringify(target)} (it configures target: kubernetes)` });
  }
  return problems;
}


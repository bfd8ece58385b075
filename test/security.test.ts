/** Controls against the paths an attacker or an operator mistake could use (issue: least privilege under attack). */
import { plan, STACK_NAMES } from "./harness";

describe.each(STACK_NAMES)("security controls of %s", (stack) => {
  it("kube-system warns and audits at baseline, without enforcing (EKS's DaemonSets there are privileged)", async () => {
    const result = await plan(stack);
    const patch = result.one("kubernetes:core/v1:NamespacePatch", "etl-kube-system-pod-security").inputs;
    expect(patch.metadata).toEqual({ name: "kube-system", labels: { "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/audit": "baseline" } });
    expect(patch.metadata.labels).not.toHaveProperty("pod-security.kubernetes.io/enforce");
  });
});

/**
 * Argo confined to the pipelines namespace. The argo-helm 1.0.18 chart, installed cluster-wide, binds its server
 * to a ClusterRole with `secrets: get` everywhere and its controller runs a Workflow in any namespace as whatever
 * ServiceAccount it names (kube-system's included). Here the controller and the server run `--namespaced
 * --managed-namespace <pipelines>` (the chart's `singleNamespace` adds `--namespaced`), the chart creates no RBAC
 * (its singleNamespace Roles would land in the release namespace: templates/controller/workflow-controller-crb.yaml),
 * and these Roles give each exactly the chart's rules in the namespaces it works in, less what it never needs.
 * People get a small `argo-operator` account; admission refuses a workflow that names any other account.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export const CONTROLLER_SERVICE_ACCOUNT = "argo-workflows-workflow-controller";
export const OPERATOR_SERVICE_ACCOUNT = "argo-operator";
const WORKFLOW_CRUD = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * The controller in the workflows' namespace: argo-helm 1.0.18 templates/controller/workflow-controller-cluster-roles.yaml,
 * without `namespaces` (cluster-scoped: a namespaced controller lists none) and the leases and archive secrets,
 * which live in its own namespace.
 */
export function controllerWorkflowRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "update", "patch", "delete"] },
    { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "watch", "list"] },
    { apiGroups: [""], resources: ["persistentvolumeclaims", "persistentvolumeclaims/finalizers"], verbs: ["create", "update", "delete", "get"] },
    { apiGroups: ["argoproj.io"], resources: ["workflows", "workflows/finalizers", "workflowtasksets", "workflowtasksets/finalizers", "workflowtasksets/status", "workflowartifactgctasks"], verbs: ["get", "list", "watch", "update", "patch", "delete", "create"] },
    { apiGroups: ["argoproj.io"], resources: ["workflowtemplates", "workflowtemplates/finalizers"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["argoproj.io"], resources: ["workflowtaskresults", "workflowtaskresults/finalizers"], verbs: ["list", "watch", "deletecollection"] },
    { apiGroups: ["argoproj.io"], resources: ["cronworkflows", "cronworkflows/finalizers"], verbs: ["get", "list", "watch", "update", "patch", "delete"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "list"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["create", "get", "delete"] },
  ];
}

/** The controller in its own namespace: its config map, its leader-election leases, the archive's credentials. */
export function controllerOwnRules(archiveSecret?: string): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "watch", "list"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["workflow-controller", "workflow-controller-lease"], verbs: ["get", "watch", "update", "patch", "delete"] },
    ...(archiveSecret ? [{ apiGroups: [""], resources: ["secrets"], resourceNames: [archiveSecret], verbs: ["get"] }] : []),
  ];
}

/**
 * The server in the workflows' namespace: templates/server/server-cluster-roles.yaml without any Secret (the chart
 * gives `secrets: get` on every Secret) and without Argo Events' kinds, which the platform does not run.
 */
export function serverWorkflowRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["configmaps", "events"], verbs: ["get", "watch", "list"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list"] },
    { apiGroups: [""], resources: ["events"], verbs: ["watch", "create", "patch"] },
    { apiGroups: ["argoproj.io"], resources: ["workflows", "workflowtemplates", "cronworkflows"], verbs: WORKFLOW_CRUD },
  ];
}

/** The server in its own namespace: its config, and with SSO its two SSO Secrets (the chart's rules for `sso`). */
export function serverOwnRules(sso?: { secret: string }, archiveSecret?: string): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "watch", "list"] },
    ...(sso ? [{ apiGroups: [""], resources: ["secrets"], resourceNames: ["sso", sso.secret], verbs: ["get"] }, { apiGroups: [""], resources: ["secrets"], verbs: ["create"] }] : []),
    ...(archiveSecret ? [{ apiGroups: [""], resources: ["secrets"], resourceNames: [archiveSecret], verbs: ["get"] }] : []),
  ];
}

/** People (`kubectl -n pipelines create token argo-operator`): run, stop and read workflows; nothing else. */
export function operatorRules(): PolicyRule[] {
  return [
    { apiGroups: ["argoproj.io"], resources: ["workflows", "cronworkflows", "workflowtemplates"], verbs: WORKFLOW_CRUD },
    { apiGroups: [""], resources: ["pods", "events"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  ];
}

/**
 * The CEL rules of the admission policies: a Workflow (and a CronWorkflow's workflowSpec) must name one of the
 * allowed accounts, and its executor, if set, Argo's executor account. One policy per kind, so each expression is
 * type-checked against one schema (Kubernetes, "Validating Admission Policy": type checking).
 */
export function workflowAccountValidations(path: "object.spec" | "object.spec.workflowSpec", allowed: string[], executor: string) {
  const names = `[${allowed.map((name) => `'${name}'`).join(", ")}]`;
  return [
    {
      expression: `has(${path}.serviceAccountName) && ${path}.serviceAccountName in ${names}`,
      message: `serviceAccountName must be one of the pipelines' accounts or the restore drill's: ${allowed.join(", ")}`,
    },
    {
      expression: `!has(${path}.executor) || !has(${path}.executor.serviceAccountName) || ${path}.executor.serviceAccountName == '${executor}'`,
      message: `executor.serviceAccountName must be ${executor}`,
    },
  ];
}

export interface ArgoAccessArgs {
  argoNamespace: string;
  workflowNamespace: string;
  serverServiceAccount: string;
  allowedServiceAccounts: string[];
  executorServiceAccount: string;
  archiveSecret?: string;
  ssoSecret?: string;
  provider: k8s.Provider;
  /** The namespaces. */
  ready: pulumi.Resource[];
}

export class ArgoAccess extends pulumi.ComponentResource {
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: ArgoAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("etl-platform:workflows:ArgoAccess", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.ready };
    const ready: pulumi.Resource[] = [];
    const grant = (id: string, namespace: string, roleName: string, rules: PolicyRule[], subject: { name: string; namespace: string }) => {
      const role = new k8s.rbac.v1.Role(`${name}-${id}`, { metadata: { name: roleName, namespace }, rules }, k8sOpts);
      ready.push(role, new k8s.rbac.v1.RoleBinding(`${name}-${id}`, {
        metadata: { name: roleName, namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName },
        subjects: [{ kind: "ServiceAccount", ...subject }],
      }, { ...k8sOpts, dependsOn: [...args.ready, role] }));
    };
    const controller = { name: CONTROLLER_SERVICE_ACCOUNT, namespace: args.argoNamespace };
    const server = { name: args.serverServiceAccount, namespace: args.argoNamespace };
    grant("controller-workflows", args.workflowNamespace, "argo-workflow-controller", controllerWorkflowRules(), controller);
    grant("controller-own", args.argoNamespace, "argo-workflow-controller", controllerOwnRules(args.archiveSecret), controller);
    grant("server-workflows", args.workflowNamespace, "argo-server", serverWorkflowRules(), server);
    grant("server-own", args.argoNamespace, "argo-server", serverOwnRules(args.ssoSecret ? { secret: args.ssoSecret } : undefined, args.archiveSecret), server);
    ready.push(new k8s.core.v1.ServiceAccount(`${name}-operator`, { metadata: { name: OPERATOR_SERVICE_ACCOUNT, namespace: args.workflowNamespace }, automountServiceAccountToken: false }, k8sOpts));
    grant("operator", args.workflowNamespace, OPERATOR_SERVICE_ACCOUNT, operatorRules(), { name: OPERATOR_SERVICE_ACCOUNT, namespace: args.workflowNamespace });

    for (const [resource, path] of [["workflows", "object.spec"], ["cronworkflows", "object.spec.workflowSpec"]] as const) {
      const policyName = `etl-${resource}-service-accounts`;
      const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-${resource}`, {
        metadata: { name: policyName },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: { resourceRules: [{ apiGroups: ["argoproj.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: [resource] }] },
          validations: workflowAccountValidations(path, args.allowedServiceAccounts, args.executorServiceAccount).map((v) => ({ ...v, reason: "Forbidden" })),
        },
      }, { parent: this, provider: args.provider });
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-${resource}`, {
        metadata: { name: policyName },
        // Every namespace: no controller runs workflows elsewhere, and one that names another account is refused anywhere.
        spec: { policyName, validationActions: ["Deny"] },
      }, { parent: this, provider: args.provider, dependsOn: [policy] });
    }
    this.ready = ready;
    this.registerOutputs({});
  }
}

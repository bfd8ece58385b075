/** The `restricted` Pod Security Standard: namespace labels that enforce it, and pod settings that meet it. */
import type * as k8s from "@pulumi/kubernetes";

/** https://kubernetes.io/docs/concepts/security/pod-security-admission/ */
export const restrictedNamespaceLabels = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/audit": "restricted",
};

/** A non-root user id for images that do not set one; 65532 is the distroless "nonroot" user. */
export const NON_ROOT_UID = 65532;

export const restrictedPodSecurityContext: k8s.types.input.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: NON_ROOT_UID,
  runAsGroup: NON_ROOT_UID,
  fsGroup: NON_ROOT_UID,
  seccompProfile: { type: "RuntimeDefault" },
};

export const restrictedContainerSecurityContext: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/**
 * The pod-level settings of the restricted standard for a chart's own pods, whose images set their own non-root
 * user (so no user id is forced on them): non-root and the runtime's default seccomp profile.
 */
export const imageUserPodSecurityContext = {
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

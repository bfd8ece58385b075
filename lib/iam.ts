/** IAM policy documents as plain data, so tests can parse and check them statement by statement. */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: string | string[];
  Principal?: "*" | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Id?: string;
  Statement: PolicyStatement[];
}

/** The OIDC issuer without its scheme, as IAM condition keys spell it. */
export function oidcIssuerHost(issuerUrl: string): string {
  return issuerUrl.replace(/^https:\/\//, "");
}

/**
 * Trust policy for IAM Roles for Service Accounts: only the one Kubernetes service account, in the one
 * namespace, of this cluster's OIDC issuer may assume the role.
 */
export function serviceAccountTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, serviceAccount: string | string[]): PolicyDocument {
  const issuer = oidcIssuerHost(issuerUrl);
  const subjects = (Array.isArray(serviceAccount) ? serviceAccount : [serviceAccount]).map((account) => `system:serviceaccount:${namespace}:${account}`);
  return {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: { Federated: oidcProviderArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [`${issuer}:sub`]: subjects.length === 1 ? subjects[0] : subjects,
          [`${issuer}:aud`]: "sts.amazonaws.com",
        },
      },
    }],
  };
}

export function servicePrincipalTrustPolicy(service: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}

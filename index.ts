import * as pulumi from "@pulumi/pulumi";
import { EtlPlatform } from "./components/etlPlatform";
import { readStackConfig } from "./config/stackConfig";

/** The Pulumi program: validate the stack config, build the platform, export what operators need. */
export = async () => {
  const { config, secrets, warnings, kubernetes } = readStackConfig();
  for (const warning of warnings) void pulumi.log.warn(warning);
  const { infrastructure, platform } = new EtlPlatform("etl", { config, secrets, kubernetes });
  const platformOutputs = {
    environment: config.environment,
    target: config.target,
    kafkaBootstrap: platform.kafka.bootstrapAddress,
    postgresHost: platform.postgres.host,
    postgresBackupBucket: platform.postgres.backupBucket,
    argoArtifactBucket: platform.argo.artifactBucket,
    grafanaAdminPassword: pulumi.secret(platform.monitoring.grafanaAdminPassword),
  };
  if (!infrastructure) return platformOutputs;
  return {
    ...platformOutputs,
    clusterName: infrastructure.cluster.clusterName,
    clusterEndpoint: infrastructure.cluster.endpoint,
    kubeconfig: pulumi.secret(infrastructure.cluster.kubeconfig),
    oidcProviderArn: infrastructure.cluster.oidcProviderArn,
    nodeGroupNames: infrastructure.nodePools.nodeGroupNames,
    vpcId: infrastructure.network.vpcId,
    privateSubnetIds: infrastructure.network.privateSubnetIds,
    publicSubnetIds: infrastructure.network.publicSubnetIds,
    // The role a manual restore's cluster takes (README, "Restore to a point in time").
    postgresRestoreRoleArn: platform.postgres.restoreServiceAccountAnnotations["eks.amazonaws.com/role-arn"],
  };
};

import * as pulumi from "@pulumi/pulumi";
import { Platform } from "./components/etlPlatform";
import { readStackConfig } from "./config/load";

/** The Pulumi program: validate the stack config, build the platform, export what operators need. */
export = async () => {
  const { config, secrets, warnings } = readStackConfig();
  for (const warning of warnings) void pulumi.log.warn(warning);
  const platform = new Platform("etl", { config, secrets });
  return {
    environment: config.environment,
    clusterName: platform.cluster.clusterName,
    clusterEndpoint: platform.cluster.endpoint,
    kubeconfig: pulumi.secret(platform.cluster.kubeconfig),
    oidcProviderArn: platform.cluster.oidcProviderArn,
    nodeGroupNames: platform.nodePools.nodeGroupNames,
    vpcId: platform.network.vpcId,
    privateSubnetIds: platform.network.privateSubnetIds,
    publicSubnetIds: platform.network.publicSubnetIds,
    kafkaBootstrap: platform.kafka.bootstrapAddress,
    postgresHost: platform.postgres.host,
    postgresBackupBucket: platform.postgres.backupBucket,
    argoArtifactBucket: platform.argo.artifactBucket,
    grafanaAdminPassword: pulumi.secret(platform.monitoring.grafanaAdminPassword),
  };
};

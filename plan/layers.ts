/**
 * The root component and the two layers under it (components/etlPlatform.ts, components/aws/awsInfrastructure.ts,
 * components/platform/platform.ts): the plan groups resources by the component just below them, and so does
 * the diff of two plans.
 */
export const LAYER_TYPES = new Set(["etl-platform:index:Platform", "etl-platform:aws:Infrastructure", "etl-platform:platform:Platform"]);

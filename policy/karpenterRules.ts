/**
 * Guard rails for Karpenter's nodes (autoscaler.engine: karpenter): what the launch templates' rules (computeRules.ts)
 * say for managed node groups, said for EC2NodeClasses and NodePools, plus the interruption queue and the batch
 * runs' protection. Facts: aws/karpenter-provider-aws v1.14.1 (concepts/nodeclasses.md, disruption.md).
 */
import { both, CRONJOB, forTypes, type Resource, type Rule } from "./rule";

export const NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass";
export const NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";

const isKarpenterRelease = (r: Resource) => r.type === RELEASE && String(r.props.chart ?? "").endsWith("/karpenter");

export const karpenterRules: Rule[] = [
  {
    name: "karpenter-nodes-hardened",
    description: "Karpenter's nodes accept only IMDSv2 with a hop limit of 1, have encrypted root volumes and a pinned AMI release (al2023@v<date>, never @latest, which drifts every node at each AMI release). Set them in the EC2NodeClass.",
    level: both("mandatory"),
    resource: forTypes([NODE_CLASS], (props) => {
      const metadata = props.spec?.metadataOptions ?? {};
      const mappings: any[] = props.spec?.blockDeviceMappings ?? [];
      const aliases: string[] = (props.spec?.amiSelectorTerms ?? []).map((term: { alias?: string }) => term.alias).filter(Boolean);
      return [
        metadata.httpTokens !== "required" && "IMDSv1 is allowed (metadataOptions.httpTokens is not \"required\")",
        metadata.httpPutResponseHopLimit !== 1 && `hop limit is ${metadata.httpPutResponseHopLimit ?? "unset (Karpenter's default is 1, say so)"}, expected 1`,
        mappings.length === 0 && "no block device mapping: the root volume's encryption is left to the AMI",
        ...mappings.map((m) => m.ebs?.encrypted !== true && `volume ${m.deviceName} is not encrypted`),
        ...aliases.map((alias) => /@latest$/.test(alias) && `AMI alias ${alias} drifts every node at each AMI release; pin a version`),
      ];
    }),
  },
  {
    name: "karpenter-pools-limited",
    description: "Every NodePool has cpu and memory limits: without them a pending pod, or a bug, can launch nodes without bound. Set them from the pool's maxSize.",
    level: both("mandatory"),
    resource: forTypes([NODE_POOL], (props) => [
      props.spec?.limits?.cpu === undefined && "no limits.cpu",
      props.spec?.limits?.memory === undefined && "no limits.memory",
    ]),
  },
  {
    name: "karpenter-interruption-handled",
    description: "Karpenter has an interruption queue (settings.interruptionQueue) that the stack creates, so a spot node is drained within its two-minute warning instead of lost with its pods.",
    level: both("mandatory"),
    stack: (resources) => resources.filter(isKarpenterRelease).flatMap((release) => {
      const queue = release.props.values?.settings?.interruptionQueue;
      if (!queue) return [{ resource: release, message: "settings.interruptionQueue is not set: spot interruptions are not handled" }];
      const declared = resources.some((r) => r.type === "aws:sqs/queue:Queue" && r.props.name === queue);
      return declared ? [] : [{ resource: release, message: `the interruption queue ${queue} is not declared by the stack` }];
    }),
  },
  {
    name: "karpenter-batch-runs-protected",
    description: "Where Karpenter manages batch nodes, every scheduled run's pods carry karpenter.sh/do-not-disrupt, so consolidation and drift never evict a running batch.",
    level: both("mandatory"),
    stack: (resources) => {
      if (!resources.some((r) => r.type === NODE_POOL)) return [];
      return resources.filter((r) => r.type === CRONJOB)
        .filter((r) => r.props.spec?.jobTemplate?.spec?.template?.metadata?.annotations?.[DO_NOT_DISRUPT] === undefined)
        .map((r) => ({ resource: r, message: `the CronJob's pods have no ${DO_NOT_DISRUPT} annotation` }));
    },
  },
];

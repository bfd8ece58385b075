/**
 * The platform's policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stack>.json`.
 * Each rule's level comes from the config file of the stack's environment; without one, every rule is enforced
 * at its prod level.
 */
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { rules } from "./rules";

new PolicyPack("etl-platform", {
  policies: rules.map((rule): ResourceValidationPolicy | StackValidationPolicy => {
    const common = { name: rule.name, description: rule.description, enforcementLevel: rule.level.prod };
    if (rule.stack) {
      const check = rule.stack;
      return {
        ...common,
        validateStack: (args, reportViolation) => {
          const resources = args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, propertyDependencies: r.propertyDependencies as never }));
          for (const violation of check(resources)) reportViolation(violation.message, violation.resource?.urn);
        },
      };
    }
    const check = rule.resource!;
    return {
      ...common,
      validateResource: (args, reportViolation) => {
        for (const message of check({ type: args.type, name: args.name, urn: args.urn, props: args.props })) reportViolation(message);
      },
    };
  }),
});

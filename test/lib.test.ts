import fc from "fast-check";
import { cidrContains, cidrsOverlap, defaultSubnetLayout, formatCidr } from "../lib/cidr";
import { scheduleGaps } from "../lib/cron";
import { findCycle } from "../config/steps";
import { parseImage } from "../lib/image";
import { gravitonCounterpart, instanceShape, KNOWN_INSTANCE_TYPES } from "../lib/instanceTypes";
import timeZoneData from "../lib/data/timeZones.json";
import { daylightSavingZones } from "../scripts/generateTimeZones";

describe("default subnet layout", () => {
  const vpcRange = fc.record({ base: fc.integer({ min: 0, max: 2 ** 32 - 1 }), prefix: fc.integer({ min: 8, max: 20 }) })
    .map(({ base, prefix }) => formatCidr({ base: base - (base % 2 ** (32 - prefix)), prefix }));

  it("puts one private and one public subnet per zone inside the VPC, none overlapping", () => {
    fc.assert(fc.property(vpcRange, fc.integer({ min: 2, max: 4 }), (cidr, zones) => {
      const { privateCidrs, publicCidrs } = defaultSubnetLayout(cidr, zones);
      const all = [...privateCidrs, ...publicCidrs];
      expect(privateCidrs).toHaveLength(zones);
      expect(publicCidrs).toHaveLength(zones);
      for (const subnet of all) expect(cidrContains(cidr, subnet)).toBe(true);
      for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(cidrsOverlap(all[i], all[j])).toBe(false);
    }));
  });

  it("gives the 10.0.0.0/16 range /19 private and /22 public subnets", () => {
    expect(defaultSubnetLayout("10.0.0.0/16", 3)).toEqual({
      privateCidrs: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
      publicCidrs: ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"],
    });
  });
});

describe("schedule gaps", () => {
  it.each([
    ["0 * * * *", "UTC", 3600, 3600],
    ["*/15 * * * *", "UTC", 900, 900],
    ["0 2 * * *", "Europe/Berlin", 23 * 3600, 25 * 3600],
    ["0 6 * * 1-5", "America/New_York", 23 * 3600, 3 * 24 * 3600 + 3600],
    ["*/5 * * * 1-5", "UTC", 300, 2 * 24 * 3600 + 300],
  ])("%s in %s runs between %is and %is apart", (schedule, zone, min, max) => {
    expect(scheduleGaps(schedule, zone)).toEqual({ minSeconds: min, maxSeconds: max });
  });

  it("widens the gaps by the DST hour exactly in the zones whose offset moves during the year (generated list = Intl now)", () => {
    // The list is generated (scripts/generateTimeZones.ts) so that a plan needs no Intl time-zone data; it must still
    // say what ICU says. A zone that changed its rules since would show here.
    expect(timeZoneData.daylightSaving).toEqual(daylightSavingZones(timeZoneData.names));
    expect(timeZoneData.daylightSaving).toEqual(expect.arrayContaining(["Europe/Berlin", "America/New_York", "Australia/Sydney"]));
    expect(timeZoneData.daylightSaving).not.toContain("Asia/Kolkata");
    expect(scheduleGaps("0 3 * * *", "Australia/Sydney")).toEqual({ minSeconds: 23 * 3600, maxSeconds: 25 * 3600 });
    expect(scheduleGaps("0 3 * * *", "Asia/Kolkata")).toEqual({ minSeconds: 24 * 3600, maxSeconds: 24 * 3600 });
  });

  it("finds the gap of every n-minute schedule", () => {
    fc.assert(fc.property(fc.constantFrom(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30), (n) => {
      expect(scheduleGaps(`*/${n} * * * *`, "UTC")).toEqual({ minSeconds: n * 60, maxSeconds: n * 60 });
    }), { numRuns: 11 });
  });

  it("finds the gaps of any set of daily hours, the one across midnight included", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 59 }), (hours, minute) => {
      const sorted = [...hours].sort((a, b) => a - b);
      const gaps = sorted.map((hour, i) => ((i + 1 < sorted.length ? sorted[i + 1] : sorted[0] + 24) - hour) * 3600);
      expect(scheduleGaps(`${minute} ${sorted.join(",")} * * *`, "UTC")).toEqual({ minSeconds: Math.min(...gaps), maxSeconds: Math.max(...gaps) });
    }), { numRuns: 30 });
  });
});

describe("cron, against an independent implementation (cron-parser, UTC)", () => {
  const { CronExpressionParser } = require("cron-parser") as typeof import("cron-parser");
  const { cronProblem, scheduleRuns } = require("../lib/cron") as typeof import("../lib/cron");
  const start = Date.UTC(2026, 0, 2);
  // Eight days: every weekday, one twice (the 400-day case below crosses months and years).
  const days = 8;
  const oracle = (expression: string, span = days) => {
    const runs: number[] = [];
    const iterator = CronExpressionParser.parse(expression, { tz: "UTC", currentDate: new Date(start - 1) });
    for (let at = iterator.next().getTime(); at < start + span * 86400000; at = iterator.next().getTime()) runs.push(at);
    return runs;
  };
  const part = (min: number, max: number) => fc.oneof(
    fc.integer({ min, max }).map(String),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min: 1, max: 10 })).map(([a, n]) => `${a}-${max}/${n}`),
  );
  const list = (min: number, max: number) => fc.array(part(min, max), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(","));
  const minuteField = fc.oneof(fc.constant("0"), fc.constantFrom("*/15", "*/20", "*/30"), list(0, 59));
  const hourField = fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 12 }).map((n) => `*/${n}`), list(0, 23));
  // Day fields: `*` or restricted; both libraries read "either matches" when both are restricted. A restricted
  // field that spells out the whole range is left out: cron-parser takes it for `*`, robfig/cron (the API
  // server's) does not, and we follow robfig.
  const covers = (field: string, min: number, max: number) => field !== "*" && Array.from({ length: max - min + 1 }, (_, i) => min + i)
    .every((value) => field.split(",").some((part) => {
      const [range, step] = part.split("/");
      const [low, high] = range.split("-").map(Number);
      const top = high ?? (step ? max : low);
      return value >= low && value <= top && (value - low) % Number(step ?? 1) === 0;
    }));
  const dayField = (min: number, max: number) => fc.oneof(fc.constant("*"), list(min, max)).filter((field) => !covers(field, min, max));
  const expression = fc.tuple(minuteField, hourField, dayField(1, 31), dayField(1, 12), dayField(0, 6)).map((fields) => fields.join(" "));

  it("runs at exactly the times cron-parser computes, over eight days", () => {
    fc.assert(fc.property(expression, (cron) => {
      expect(cronProblem(cron) === undefined || /never|no day that exists/.test(cronProblem(cron)!)).toBe(true);
      let expected: number[];
      try {
        expected = oracle(cron);
      } catch (error) {
        // cron-parser refuses overlapping list items ("0-1,1-6"), and a day of month no listed month has ("31 4",
        // even with a weekday that makes the schedule run): robfig/cron, and so the API server, accept both.
        fc.pre(!/duplicate values|Invalid explicit day of month definition/.test((error as Error).message));
        throw error;
      }
      if (cronProblem(cron) === undefined) expect(scheduleRuns(cron, days)).toEqual(expected);
    }), { numRuns: 120 });
  });

  it("runs at exactly the times cron-parser computes over more than a year, restricted months included", () => {
    // Once a day at most, so that 400 days stay quick; the month field is always restricted here.
    const yearly = fc.tuple(fc.integer({ min: 0, max: 59 }).map(String), fc.integer({ min: 0, max: 23 }).map(String), dayField(1, 31), dayField(1, 12).filter((field) => field !== "*"), dayField(0, 6))
      .map((fields) => fields.join(" "));
    fc.assert(fc.property(yearly, (cron) => {
      let expected: number[];
      try {
        expected = oracle(cron, 400);
      } catch (error) {
        fc.pre(!/duplicate values|Invalid explicit day of month definition/.test((error as Error).message));
        throw error;
      }
      if (cronProblem(cron) === undefined) expect(scheduleRuns(cron, 400)).toEqual(expected);
      else expect(expected).toEqual([]);
    }), { numRuns: 60 });
    // The end of February in a leap year and in others; the last day of the months that have a 31st.
    expect(scheduleRuns("0 0 29 2 *", 4 * 366).map((at) => new Date(at).toISOString())).toEqual(["2028-02-29T00:00:00.000Z"]);
    expect(scheduleRuns("0 0 31 * *", 366).map((at) => new Date(at).getUTCMonth() + 1)).toEqual([1, 3, 5, 7, 8, 10, 12]);
    expect(scheduleRuns("0 0 1 DEC *", 366)).toEqual(oracle("0 0 1 12 *", 366));
  });

  it.each<[string, string | undefined]>([
    ["0 0 1 1 0", undefined],
    ["59 23 31 12 7", undefined],
    ["5-5 * * * *", undefined],
    ["0 0 * jan-Mar sun", undefined],
    ["*/5x * * * *", 'minute: "5x" is not a positive step'],
    ["1-2-3 * * * *", 'minute: "1-2-3" is not a range'],
    ["? * * * *", 'minute: "?" is not a number'],
    ["0 ? * * *", 'hour: "?" is not a number'],
    ["0 0 * ? *", 'month: "?" is not a number or a name'],
    ["60 * * * *", "minute: 60 is outside 0-59"],
    ["0 24 * * *", "hour: 24 is outside 0-23"],
    ["0 0 0 * *", "day of month: 0 is outside 1-31"],
    ["0 0 32 * *", "day of month: 32 is outside 1-31"],
    ["0 0 * 0 *", "month: 0 is outside 1-12"],
    ["0 0 * 13 *", "month: 13 is outside 1-12"],
    ["0 0 * * 8", "day of week: 8 is outside 0-7"],
    ["5-1 * * * *", "minute: the range 5-1 runs backwards"],
    ["0 0 * * MON-", 'day of week: "" is not a number or a name'],
    ["0 0 1,,2 * *", 'day of month: "" is not a value, range or step'],
    ["1/2/3 * * * *", 'minute: "1/2/3" is not a value, range or step'],
    ["*/0 * * * *", 'minute: "0" is not a positive step'],
    ["*/-1 * * * *", 'minute: "-1" is not a positive step'],
    ["0 0 * * 1?", 'day of week: "1?" is not a number or a name'],
    ["0 0 * JANUARY *", 'month: "JANUARY" is not a number or a name'],
    ["0 0 x5 * *", 'day of month: "x5" is not a number'],
  ])("%s: the exact problem", (cron, problem) => {
    expect(cronProblem(cron)).toBe(problem === undefined ? undefined : `expected a valid cron expression, got ${JSON.stringify(cron)} (${problem})`);
  });

  it("reads every month name as its number, ? in either day field, and spaces around an expression", () => {
    const names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    expect(names.map((name) => new Date(scheduleRuns(`0 0 1 ${name} *`, 366)[0]).getUTCMonth() + 1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(cronProblem("0 0 * * ?")).toBeUndefined();
    expect(scheduleRuns("0 0 ? * ?", 3)).toEqual(scheduleRuns("0 0 * * *", 3));
    expect(scheduleRuns("  0 12 * * *  ", 2)).toEqual(scheduleRuns("0 12 * * *", 2));
    expect(cronProblem(" @daily ")).toBeUndefined();
    expect(cronProblem(" @fortnightly")).toMatch(/^expected a 5-field cron or one of @yearly/);
    expect(cronProblem(" @every 1h")).toMatch(/@every counts from the controller's start/);
  });

  it("expands each predefined schedule as robfig/cron v3.0.1's parseDescriptor defines it", () => {
    // parser.go parseDescriptor: yearly/annually = minute 0, hour 0, day 1, month 1; monthly = day 1; weekly = day of
    // week 0; daily/midnight = minute 0, hour 0; hourly = minute 0.
    const { expandCronMacro } = require("../lib/cron") as typeof import("../lib/cron");
    expect(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", " @hourly ", "0 1 * * *"].map(expandCronMacro)).toEqual([
      "0 0 1 1 *", "0 0 1 1 *", "0 0 1 * *", "0 0 * * 0", "0 0 * * *", "0 0 * * *", "0 * * * *", "0 * * * *", "0 1 * * *",
    ]);
  });

  it("names the field count, the macros and a schedule that never runs", () => {
    expect(cronProblem("0 0 * *")).toBe('expected a 5-field cron expression (minute hour day-of-month month day-of-week), got "0 0 * *" with 4 fields');
    expect(cronProblem("0 0 * * * *")).toBe('expected a 5-field cron expression (minute hour day-of-month month day-of-week), got "0 0 * * * *" with 6 fields');
    expect(cronProblem("@weekly")).toBeUndefined();
    expect(cronProblem("@fortnightly")).toBe('expected a 5-field cron or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, got "@fortnightly"');
    expect(cronProblem("@every 1h")).toBe('expected a 5-field cron or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, got "@every 1h" (@every counts from the controller\'s start: its runs cannot be known in advance)');
    expect(cronProblem("0 0 30 2 *")).toBe('expected a schedule that runs, got "0 0 30 2 *", which names no day that exists (e.g. February 30)');
    expect(cronProblem("0 0 31 4,6,9,11 *")).toBe('expected a schedule that runs, got "0 0 31 4,6,9,11 *", which names no day that exists (e.g. February 30)');
  });

  it("reads names, 7 as Sunday, ? and a/n as robfig/cron does", () => {
    expect(scheduleRuns("0 12 * JAN-MAR MON,fri", 7)).toEqual(oracle("0 12 * 1-3 1,5").filter((at) => at < start + 7 * 86400000));
    expect(scheduleRuns("0 0 ? * 7", days)).toEqual(oracle("0 0 * * 0"));
    expect(scheduleRuns("30/15 * * * *", 1)).toEqual(oracle("30-59/15 * * * *").filter((at) => at < start + 86400000));
  });

  it("refuses what the API server's parser refuses, and schedules that never run", () => {
    for (const bad of ["60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "* * * * MON-", "L * * * *", "* * * * 1#2", "0 0 31 2 *", "0 0 30 2 *"]) {
      expect({ bad, problem: cronProblem(bad) !== undefined }).toEqual({ bad, problem: true });
    }
    expect(cronProblem("0 0 29 2 *")).toBeUndefined();
  });
});

describe("instance types", () => {
  // Shapes and architectures as kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go
  // (cluster-autoscaler-1.32.5) lists them: the table the autoscaler builds a scale-from-zero node from.
  it.each([
    ["m6i.xlarge", { family: "m6i", vcpus: 4, memoryGiB: 16, architecture: "amd64" }],
    ["m6g.xlarge", { family: "m6g", vcpus: 4, memoryGiB: 16, architecture: "arm64" }],
    ["c7g.2xlarge", { family: "c7g", vcpus: 8, memoryGiB: 16, architecture: "arm64" }],
    ["r7g.large", { family: "r7g", vcpus: 2, memoryGiB: 16, architecture: "arm64" }],
    ["t4g.2xlarge", { family: "t4g", vcpus: 8, memoryGiB: 32, architecture: "arm64" }],
    ["c5.12xlarge", { family: "c5", vcpus: 48, memoryGiB: 96, architecture: "amd64" }],
  ])("%s", (type, shape) => expect(instanceShape(type)).toEqual(shape));

  it("refuses sizes a family does not have (c5 has 9xlarge and 18xlarge instead; the t families stop at 2xlarge) and unknown names", () => {
    for (const type of ["c5.8xlarge", "c5.16xlarge", "t3.4xlarge", "t3.8xlarge", "t3a.12xlarge", "t4g.16xlarge", "t4g.4xlarge", "m6g.huge", "toString.large", "m6i.constructor"]) expect(instanceShape(type)).toBeUndefined();
    expect(KNOWN_INSTANCE_TYPES).toContain("m7g.16xlarge");
    expect(KNOWN_INSTANCE_TYPES).not.toContain("t3a.8xlarge");
    expect(KNOWN_INSTANCE_TYPES.every((type) => instanceShape(type) !== undefined)).toBe(true);
  });

  it("maps an x86 type to the Graviton type of its category, generation where there is one, and size", () => {
    expect(["m6i.large", "m7i.xlarge", "m5.2xlarge", "c6a.large", "c7a.large", "r7a.4xlarge", "r5.large", "t3.large", "t3a.xlarge", "m6g.large", "m6gd.large", "x1.large"].map(gravitonCounterpart))
      .toEqual(["m6g.large", "m7g.xlarge", "m6g.2xlarge", "c6g.large", "c7g.large", "r7g.4xlarge", "r6g.large", "t4g.large", "t4g.xlarge", undefined, undefined, undefined]);
    for (const type of KNOWN_INSTANCE_TYPES.filter((candidate) => instanceShape(candidate)!.architecture === "amd64")) {
      const counterpart = gravitonCounterpart(type);
      if (counterpart) expect({ ...instanceShape(counterpart), family: "" }).toEqual({ ...instanceShape(type), architecture: "arm64", family: "" });
    }
  });
});

describe("step cycles", () => {
  it("finds none in a chain and names the loop in a cycle", () => {
    expect(findCycle([{ name: "extract", dependsOn: [] }, { name: "validate", dependsOn: ["extract"] }, { name: "load", dependsOn: ["validate"] }])).toBeUndefined();
    expect(findCycle([{ name: "a", dependsOn: ["c"] }, { name: "b", dependsOn: ["a"] }, { name: "c", dependsOn: ["b"] }])).toEqual(["a", "c", "b", "a"]);
  });
});

describe("image references", () => {
  it("tells a registry port from a tag", () => {
    expect(parseImage("registry:5000/team/app")).toEqual({ repository: "registry:5000/team/app", tag: undefined, digest: undefined });
    expect(parseImage("registry:5000/team/app:1.2@sha256:abc")).toEqual({ repository: "registry:5000/team/app", tag: "1.2", digest: "sha256:abc" });
  });
});

describe("refreshing the EKS add-on versions", () => {
  const { pickAddonVersion, rewriteAddonsLine } = require("../scripts/refreshAddonVersions") as typeof import("../scripts/refreshAddonVersions");
  // The shape of `aws eks describe-addon-versions --output json` (EKS API DescribeAddonVersions).
  const response = JSON.parse(require("fs").readFileSync(require("path").join(__dirname, "fixtures", "aws", "describe-addon-versions-coredns.json"), "utf8"));

  it("takes EKS's default version for the cluster version, else the newest compatible one (numerically)", () => {
    expect(pickAddonVersion(response, "coredns", "1.35")).toBe("v1.12.4-eksbuild.1");
    expect(pickAddonVersion(response, "coredns", "1.34")).toBe("v1.12.10-eksbuild.2");
    expect(() => pickAddonVersion(response, "coredns", "1.30")).toThrow("no version of coredns is compatible with Kubernetes 1.30");
  });

  it("rewrites exactly one version's line of versions.ts", () => {
    const source = require("fs").readFileSync(require("path").join(__dirname, "..", "versions.ts"), "utf8") as string;
    const addons = { "vpc-cni": "v9.9.9-eksbuild.1", coredns: "v9.9.9-eksbuild.2", "kube-proxy": "v9.9.9-eksbuild.3", "aws-ebs-csi-driver": "v9.9.9-eksbuild.4" };
    const rewritten = rewriteAddonsLine(source, "1.34", addons);
    expect(rewritten).toContain(`"1.34": {\n    clusterAutoscalerImageTag: "v1.34.4",\n    addons: { "vpc-cni": "v9.9.9-eksbuild.1", coredns: "v9.9.9-eksbuild.2", "kube-proxy": "v9.9.9-eksbuild.3", "aws-ebs-csi-driver": "v9.9.9-eksbuild.4" },`);
    expect(rewritten.split("\n").length).toBe(source.split("\n").length);
    expect(rewritten.match(/v9\.9\.9/g)).toHaveLength(4);
  });

  it("pins one Kubernetes version's eks-pod-identity-agent, and only that", () => {
    const { rewritePodIdentityAgentLine } = require("../scripts/refreshAddonVersions") as typeof import("../scripts/refreshAddonVersions");
    const source = require("fs").readFileSync(require("path").join(__dirname, "..", "versions.ts"), "utf8") as string;
    const rewritten = rewritePodIdentityAgentLine(source, "1.34", "v9.9.9-eksbuild.5");
    expect(rewritten).toMatch(/podIdentityAgentVersions[^=]*= \{[^}]*"1\.34": "v9\.9\.9-eksbuild\.5",[^}]*\};/);
    expect(rewritten.split("\n").length).toBe(source.split("\n").length);
    expect(rewritten.match(/v9\.9\.9/g)).toHaveLength(1);
    // A second refresh replaces the pin it wrote.
    expect(rewritePodIdentityAgentLine(rewritten, "1.34", "v9.9.8-eksbuild.1").match(/v9\.9\.[89]/g)).toEqual(["v9.9.8"]);
  });
});

describe("known parts of a value with unknown inputs", () => {
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const { knownParts } = require("../lib/knownParts") as typeof import("../lib/knownParts");
  const resolved = (value: unknown) => new Promise((resolve) => (pulumi.output(value) as any).apply(resolve));

  it("keeps what two stand-ins agree on, and takes the rest from the actual value", async () => {
    const render = (bucket: string) => ({ schedule: "0 5 * * 0", steps: [{ name: "a", manifest: `{"bucket":"${bucket}"}` }, { name: "b", manifest: "{}" }] });
    const parts: any = knownParts(render("x"), render("y"), pulumi.output(render("real")));
    expect(parts.schedule).toBe("0 5 * * 0");
    expect(parts.steps[1]).toEqual({ name: "b", manifest: "{}" });
    expect(parts.steps[0].name).toBe("a");
    expect(pulumi.Output.isInstance(parts.steps[0].manifest)).toBe(true);
    await expect(resolved(parts)).resolves.toEqual(render("real"));
  });

  it("takes a whole part from the actual value where the stand-ins differ in shape", async () => {
    const parts: any = knownParts({ list: [1] }, { list: [1, 2] }, pulumi.output({ list: [1, 2, 3] }));
    expect(pulumi.Output.isInstance(parts.list)).toBe(true);
    await expect(resolved(parts)).resolves.toEqual({ list: [1, 2, 3] });
    expect(knownParts({ a: { b: 1 } }, { a: { c: 1 } }, pulumi.output({ a: { d: 1 } }) as any)).toEqual({ a: expect.anything() });
  });
});

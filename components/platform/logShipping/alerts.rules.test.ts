/** The log agent's alerts under the real rule engine (test/promtool.ts). */
import { testRules } from "../../../test/promtool";
import { logShippingAlertRules } from ".";

const groups = logShippingAlertRules("logging");
const agent = (node: string) => `namespace="logging", pod="fluent-bit-${node}", job="logging/fluent-bit", name="cloudwatch_logs.0"`;

describe("log shipping alerts (promtool)", () => {
  it("LogShippingDropping fires on the first drop (the counter appears at its first event), not before", () => {
    const result = testRules(groups, [{
      name: "a node drops 40 records at 30m, its first drop since the agent started",
      series: [{ series: `fluentbit_output_proc_records_total{${agent("a")}}`, values: "0+100x60" }, { series: `fluentbit_output_dropped_records_total{${agent("a")}}`, values: "_x29 40x30" }],
      checks: [{ at: "20m", alert: "LogShippingDropping", fires: [] }, { at: "35m", alert: "LogShippingDropping", fires: [{}] }, { at: "55m", alert: "LogShippingDropping", fires: [] }],
    }]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("LogShippingRetrying fires after 30 minutes of retries, LogAgentMissing after 15 minutes without an agent on a node", () => {
    const result = testRules(groups, [{
      name: "CloudWatch unreachable from 10m; a node without its agent from 10m",
      series: [
        { series: `fluentbit_output_retries_total{${agent("a")}}`, values: "0x9 1+2x80" },
        { series: 'kube_daemonset_status_number_unavailable{namespace="logging", daemonset="fluent-bit"}', values: "0x9 1x80" },
      ],
      checks: [
        { at: "35m", alert: "LogShippingRetrying", fires: [] }, { at: "45m", alert: "LogShippingRetrying", fires: [{}] },
        { at: "20m", alert: "LogAgentMissing", fires: [] }, { at: "27m", alert: "LogAgentMissing", fires: [{}] },
      ],
    }]);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});

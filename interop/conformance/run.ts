// The conformance suite: the same named scenarios against Tern or Apache RocketMQ 5.3.3.
//
//   node interop/conformance/run.ts --target tern|apache [--only NAME,NAME] [--list]
//   (make interop TARGET=tern|apache)
//
// Prints one line per scenario as it finishes, then the table `scenario | result` and the last line `N/M pass`.
// Results: pass; expected fail (Tern only, scenarios listed in expected-failures.json with the feature they
// wait for); unexpected pass (a listed scenario passed: remove its line); unexpected fail (Tern); FAIL (Apache:
// a bug in the suite). The exit status is 0 only when nothing is unexpected and, on Apache, everything passed.
// Logs of every scenario and server go to .cache/interop/conformance/<target>/.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runningClients, scenarios, type Scenario } from "./scenarios.ts";
import { ROOT, startTarget, tailOf, type Target, type TargetName } from "./targets.ts";

type Outcome = "pass" | "fail";
type Verdict = "pass" | "expected fail" | "unexpected pass" | "unexpected fail" | "FAIL";

interface Result {
  scenario: string;
  outcome: Outcome;
  verdict: Verdict;
  seconds: number;
  reason?: string;
  waitsFor?: string;
}

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "tern" },
    only: { type: "string" },
    list: { type: "boolean", default: false },
  },
});

const expectedFailures = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "expected-failures.json"), "utf8")) as { tern: Record<string, string> }).tern;

if (values.list) {
  for (const s of scenarios) console.log(`${s.name}${expectedFailures[s.name] ? `  (xfail on tern: ${expectedFailures[s.name]})` : ""}`);
  process.exit(0);
}
const targetName = values.target as TargetName;
if (targetName !== "tern" && targetName !== "apache") {
  console.error(`--target must be tern or apache, not ${values.target}`);
  process.exit(2);
}
const unknownMarkers = Object.keys(expectedFailures).filter((n) => !scenarios.some((s) => s.name === n));
if (unknownMarkers.length > 0) {
  console.error(`expected-failures.json names scenarios that do not exist: ${unknownMarkers.join(", ")}`);
  process.exit(2);
}
const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean);
const selected = only ? scenarios.filter((s) => only.includes(s.name)) : scenarios;
if (only && selected.length !== only.length) {
  console.error(`unknown scenario in --only: ${only.filter((n) => !scenarios.some((s) => s.name === n)).join(", ")}`);
  process.exit(2);
}

const logDir = path.join(ROOT, ".cache/interop/conformance", targetName);
fs.rmSync(logDir, { recursive: true, force: true });
fs.mkdirSync(logDir, { recursive: true });
const started = Date.now();

await prepareTools();
console.log(`conformance: ${selected.length} scenarios against ${targetName} (logs in ${path.relative(ROOT, logDir)}/)`);
let target: Target | undefined;
let startError: Error | undefined;
// Ctrl-C or a CI timeout: stop the servers (Apache's JVMs run in the background) and any client still running.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: stopping ${targetName}`);
    for (const child of runningClients) child.kill("SIGKILL");
    void (target?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}
try {
  target = await startTarget(targetName, path.join(logDir, "servers"));
  console.log(`${targetName} up: namesrv ${target.namesrv}, broker ${target.brokerAddr} (${seconds(started)} s)`);
} catch (err) {
  startError = err as Error;
  console.log(`${targetName} did not start: ${startError.message}`);
}

const results: Result[] = [];
const runId = `r${Date.now().toString(36)}`;
try {
  for (const scenario of selected) {
    const result = target ? await runScenario(scenario, target) : { outcome: "fail" as const, seconds: 0, reason: `target did not start: ${startError?.message.split("\n")[0]}` };
    const waitsFor = targetName === "tern" ? expectedFailures[scenario.name] : undefined;
    const verdict = judge(result.outcome, waitsFor);
    results.push({ scenario: scenario.name, ...result, verdict, ...(waitsFor ? { waitsFor } : {}) });
    const detail = verdict === "pass" || verdict === "expected fail" ? "" : `: ${result.reason ?? "passed"}`;
    console.log(`  ${scenario.name} ... ${verdict} (${result.seconds.toFixed(1)} s)${detail}`);
  }
} finally {
  for (const child of runningClients) child.kill("SIGKILL");
  await target?.stop();
}

printTable(results);
fs.writeFileSync(path.join(logDir, "results.json"), JSON.stringify({ target: targetName, seconds: seconds(started), results }, null, 2));
const bad = results.filter((r) => r.verdict === "unexpected fail" || r.verdict === "unexpected pass" || r.verdict === "FAIL");
if (bad.some((r) => r.verdict === "unexpected pass")) {
  console.log(`unexpected pass: remove ${bad.filter((r) => r.verdict === "unexpected pass").map((r) => r.scenario).join(", ")} from interop/conformance/expected-failures.json`);
}
if (bad.some((r) => r.verdict === "FAIL")) console.log("a scenario failing on Apache RocketMQ is a bug in the suite");
console.log(`finished in ${seconds(started)} s`);
console.log(`${results.filter((r) => r.verdict === "pass").length}/${results.length} pass`);
process.exit(bad.length > 0 ? 1 : 0);

function judge(outcome: Outcome, waitsFor: string | undefined): Verdict {
  if (targetName === "apache") return outcome === "pass" ? "pass" : "FAIL";
  if (waitsFor) return outcome === "pass" ? "unexpected pass" : "expected fail";
  return outcome === "pass" ? "pass" : "unexpected fail";
}

async function runScenario(scenario: Scenario, t: Target): Promise<{ outcome: Outcome; seconds: number; reason?: string }> {
  const logFile = path.join(logDir, `${scenario.name}.log`);
  const log = (line: string) => fs.appendFileSync(logFile, `${line}\n`);
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      scenario.run({ target: t, runId, log }),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${scenario.timeoutMs / 1000} s`)), scenario.timeoutMs); }),
    ]);
    return { outcome: "pass", seconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    const reason = (err as Error).message.split("\n")[0]!.slice(0, 300);
    log(`FAILED: ${(err as Error).stack ?? reason}`);
    for (const server of t.logs) log(`--- last lines of ${server}\n${tailOf(server, 15)}`);
    return { outcome: "fail", seconds: (Date.now() - t0) / 1000, reason };
  } finally {
    clearTimeout(timer);
  }
}

function printTable(rows: Result[]): void {
  const width = Math.max(...rows.map((r) => r.scenario.length), "scenario".length);
  console.log("");
  console.log(`${"scenario".padEnd(width)} | result`);
  console.log(`${"-".repeat(width)}-|-${"-".repeat(40)}`);
  for (const r of rows) {
    const result = r.verdict === "expected fail" ? `expected fail (waits for: ${r.waitsFor})` : r.verdict;
    console.log(`${r.scenario.padEnd(width)} | ${result}`);
  }
  console.log("");
}

/** Builds the Java and Go harnesses and resolves mqadmin; each step does nothing when up to date. */
async function prepareTools(): Promise<void> {
  for (const script of ["java-interop-build.sh", "go-interop-build.sh"]) {
    await new Promise<void>((resolve, reject) => {
      execFile(path.join(ROOT, "scripts", script), [], { timeout: 900_000 }, (err, _stdout, stderr) => {
        if (err) reject(new Error(`scripts/${script} failed:\n${stderr}`));
        else resolve();
      });
    });
  }
  await new Promise<void>((resolve, reject) => {
    execFile(path.join(ROOT, "scripts/mqadmin.sh"), ["--fetch-only"], { timeout: 900_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`scripts/mqadmin.sh --fetch-only failed:\n${stderr}`));
      else resolve();
    });
  });
}

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 1000);
}

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { priceMeasurement, type ResultsFile } from '../../../scripts/cost';
import { loadPriceTable } from '../../../scripts/lib/cost/prices';
import { countFixedResources } from '../../../scripts/lib/cost/template';
import type { PhaseRaw } from '../../../scripts/lib/cost/usage';

const prices = loadPriceTable(join(__dirname, '..', '..', '..', 'cost', 'prices.json'));
const resources = countFixedResources({
  Resources: {
    OrderService1A: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512, Architectures: ['arm64'] } },
    Saga: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { StateMachineType: 'STANDARD', LoggingConfiguration: { Level: 'ALL' } },
    },
  },
});

/** One phase of `orders` orders on `stack`: each order 4 invocations, `transitions` transitions, 30 write units. */
function phase(
  stack: string,
  kind: PhaseRaw['kind'],
  orders: number,
  transitions: number,
  durationMs: number,
): PhaseRaw {
  return {
    kind,
    orders,
    wallMs: 1000,
    clientEntryBytes: Array(orders).fill(500),
    calls: {
      'dynamodb:TransactWriteItems': {
        calls: 10 * orders,
        bytes: 1000 * orders,
        chunks: 10 * orders,
        capacityUnits: 30 * orders,
        callsWithCapacity: 10 * orders,
        failed: 0,
        targets: {},
      },
    },
    hops: {
      eventBridgeToSqs: {},
      eventBridgeToSns: {},
      eventBridgeToStepFunctions: { [`${stack}-Saga-1`]: orders },
      snsToSqs: {},
      esmSqs: {},
      esmStreams: {},
    },
    lambda: {
      [`${stack}-OrderService1A-X`]: {
        invocations: 4 * orders,
        durationMs: 40 * orders,
        billedMs: 40 * orders,
        logBytes: 100 * orders,
        logEvents: 4 * orders,
        localMemoryMb: 256,
      },
    },
    executions: Array.from({ length: orders }, () => ({
      status: kind === 'confirmed' ? 'SUCCEEDED' : 'SUCCEEDED',
      transitions,
      retries: 0,
      durationMs,
      historyEvents: 3 * transitions,
      historyLogBytes: 1000,
    })),
  };
}

function file(express: boolean): ResultsFile {
  return {
    kind: 'cost',
    measuredAt: '2026-12-02T17:00:00.000Z',
    ...(express ? { commit: { sha: 'c0ffee0123456789c0ffee0123456789c0ffee01', dirty: false } } : {}),
    machine: { cpus: 2, cpuModel: 'x', memoryGiB: 24, platform: 'linux-x64', node: '20.20.2' },
    versions: { ministack: '1.5.33', awsCdkLib: '2.276.0', node: '20.20.2' },
    options: { confirmed: 4, compensated: 2, intervalMs: 1500 },
    method: {},
    measurement: {
      engine: { endpoint: 'http://127.0.0.1:4614', startedByUs: true },
      phases: {
        confirmed: phase('OrderFlow', 'confirmed', 4, 12, 500),
        compensated: phase('OrderFlow', 'compensated', 2, 14, 700),
      },
      ...(express
        ? {
            standard: { stack: 'OrderFlow', stateMachineType: 'STANDARD' },
            express: {
              stack: 'OrderFlowExpress',
              stateMachineType: 'EXPRESS',
              // Slower executions on the Express copy: 1,250 ms bills 13 × 100 ms, not the Standard run's 5.
              phases: {
                confirmed: phase('OrderFlowExpress', 'confirmed', 4, 12, 1250),
                compensated: phase('OrderFlowExpress', 'compensated', 2, 14, 1250),
              },
            },
          }
        : {}),
    },
  };
}

const expressDuration = (modes: { mode: string; blended: { lines: { id: string; quantityPerOrder: number }[] } }[]) =>
  modes.find((m) => m.mode === 'express')!.blended.lines.find((l) => l.id === 'stepfunctions.expressDuration')!
    .quantityPerOrder;

describe('the priced report', () => {
  it('prices each saga mode from its own deployment when both were measured', () => {
    const { text, json } = priceMeasurement(file(true), prices, resources, 0.85, 'cdk.out/OrderFlow.template.json');
    expect(json.modes.map((m) => [m.mode, m.stack, m.basis])).toEqual([
      ['standard', 'OrderFlow', 'measured'],
      ['express', 'OrderFlowExpress', 'measured'],
    ]);
    // 1,250 ms → 1.3 s at 64 MB, from the Express executions, not the Standard ones (0.5 s / 0.7 s)
    expect(expressDuration(json.modes)).toBeCloseTo(0.0625 * 1.3, 12);
    const standard = json.modes[0];
    expect(standard.perOrder.blended.stepFunctions.transitions).toBeCloseTo(0.85 * 12 + 0.15 * 14, 12);
    expect(json.modes[1].perOrder.confirmed.stepFunctions.type).toBe('EXPRESS');
    expect(text).toContain(
      'measurement  2026-12-02T17:00:00.000Z at commit c0ffee012345: 4 confirmed + 2 compensated orders per saga mode',
    );
    expect(text).toContain('Std = Standard, measured on OrderFlow; Exp = Express, measured on OrderFlowExpress');
    expect(text).toMatch(/per order\s+Std confirm\s+Std compens\s+Std 85\/15\s+Exp confirm\s+Exp compens\s+Exp 85\/15/);
    expect(text).toContain(
      'cost per million orders, Express saga (measured on OrderFlowExpress, deployed with -c sagaMode=express; blended mix)',
    );
    expect(text).toContain(
      `per million orders, blend 85/15: Standard $${standard.blended.total.toFixed(2)}, Express $${json.modes[1].blended.total.toFixed(2)} (measured)`,
    );
  });

  it('models Express from the Standard executions for a file that measured one mode, and says so', () => {
    const { text, json } = priceMeasurement(file(false), prices, resources, 0.85, 'cdk.out/OrderFlow.template.json');
    expect(json.modes.map((m) => [m.mode, m.basis])).toEqual([
      ['standard', 'measured'],
      ['express', 'modelled'],
    ]);
    expect(expressDuration(json.modes)).toBeCloseTo(0.85 * 0.0625 * 0.5 + 0.15 * 0.0625 * 0.7, 12);
    expect(text).toContain('commit not recorded');
    expect(text).toContain('Express modelled from the Standard executions');
    expect(text).toMatch(/per order\s+confirmed\s+compensated\s+blend 85\/15\n/);
    expect(text).toContain('Express saga (MODELLED');
  });
});

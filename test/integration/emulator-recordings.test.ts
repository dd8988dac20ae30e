/**
 * Conformance with the Azure SDKs' own recorded tests: each curated recording in
 * test/fixtures/sdk-recordings (README there: sources, curation, known differences) is
 * replayed request by request against the emulator, with the recording's subscription, group
 * and host mapped to the emulator's. Every answer must have the recorded status and every key
 * of the recorded body, at every level (values may differ); a long-running operation must give
 * the headers the recording polled, and its polls are followed where the emulator points.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import { admin, type ArmReply, armRequest, emulatorForTest, SUB } from '../support/arm';
import { except, missingKeys } from '../support/key-shape';

const DIR = path.join(__dirname, '../fixtures/sdk-recordings');

/** A test-proxy recording entry (the fields the suite reads). */
interface Entry {
  RequestUri: string;
  RequestMethod: string;
  RequestBody: unknown;
  StatusCode: number;
  ResponseHeaders: Record<string, string>;
  ResponseBody: unknown;
}

interface Recording {
  source: { repo: string; path: string; commit: string };
  Entries: Entry[];
}

function load(name: string): Recording {
  return JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Recording;
}

/** The recordings' sanitized subscriptions, all replayed in the emulator's test subscription. */
const RECORDED_SUBSCRIPTIONS = [
  '00000000-0000-0000-0000-000000000000',
  'db1ab6f0-4769-4b27-930e-01e2ef9c123c',
  'azure_subscription_id',
];

const OPERATION =
  /\/providers\/Microsoft\.(Compute|Network)\/locations\/[^/]+\/(operations|operationResults)\//i;

/**
 * Keys of recorded bodies the emulator does not model, with why (see the README's table of
 * known differences). Paths as missingKeys writes them, array items as `[]`.
 */
const NOT_MODELED: Readonly<Record<string, string>> = {
  tags: "tags Azure Policy added to the recording subscription's VMs (azsecpack), not sent by the test",
  identity: "the user-assigned identity the recording subscription's policy (AzSecPack) attached",
  resources: 'VM extensions, which the emulator does not model',
  extensions: "the instance view's extensions, not modeled",
  'vmAgent.extensionHandlers[]': "the guest agent's extension handlers, not modeled",
};

/** Replays recorded requests against one emulator, following its long-running operations. */
class Replayer {
  private asyncOperation: string | undefined;
  private location: string | undefined;
  readonly differences: string[] = [];

  constructor(
    private readonly em: ArmEmulator,
    private readonly names: Readonly<Record<string, string>> = {},
  ) {}

  /** The recording's ids in the emulator: its subscription, and any renamed group or resource. */
  map<T>(value: T): T {
    let text = JSON.stringify(value);
    for (const sub of RECORDED_SUBSCRIPTIONS) text = text.replaceAll(sub, SUB);
    for (const [from, to] of Object.entries(this.names)) text = text.replaceAll(from, to);
    return JSON.parse(text) as T;
  }

  async replay(entries: readonly Entry[]): Promise<string[]> {
    for (const [index, entry] of entries.entries()) await this.step(index, entry);
    return this.differences;
  }

  private async step(index: number, entry: Entry): Promise<void> {
    const recorded = new URL(this.map(entry.RequestUri));
    const what = `#${index} ${entry.RequestMethod} ${recorded.pathname}`;
    const reply = OPERATION.test(recorded.pathname)
      ? await this.poll(what, recorded, entry)
      : await this.send(entry, recorded);
    if (!reply) return;
    if (reply.status !== entry.StatusCode) {
      this.differences.push(
        `${what}: status ${reply.status}, recorded ${entry.StatusCode} (${JSON.stringify(reply.body)})`,
      );
      return;
    }
    // A list's items are judged as the resource itself.
    const missing = missingKeys(this.map(entry.ResponseBody), reply.body).filter(
      (key) => except([key.replace(/^value\[\d*\]\./, '')], Object.keys(NOT_MODELED)).length > 0,
    );
    for (const key of missing) this.differences.push(`${what}: body lacks ${key}`);
    for (const header of ['Azure-AsyncOperation', 'Location']) {
      if (
        entry.ResponseHeaders[header] !== undefined &&
        reply.headers[header.toLowerCase()] === undefined
      ) {
        this.differences.push(`${what}: no ${header} header`);
      }
    }
  }

  private async send(entry: Entry, recorded: URL): Promise<ArmReply> {
    // The SDKs waited for each operation to end before the next call; the curated recordings
    // keep only some of its polls, so the replay waits for it too.
    if (this.asyncOperation) await this.until(this.asyncOperation);
    const apiVersion = recorded.searchParams.get('api-version');
    // The .NET test proxy sanitizes the resource group client's api-version to "**".
    if (apiVersion === '**') recorded.searchParams.set('api-version', '2022-09-01');
    const reply = await armRequest(
      this.em,
      entry.RequestMethod,
      `${recorded.pathname}${recorded.search}`,
      {
        ...(entry.RequestBody !== null ? { body: this.map(entry.RequestBody) } : {}),
        principal: 'recording',
      },
    );
    if (entry.RequestMethod !== 'GET') {
      this.asyncOperation = header(reply, 'azure-asyncoperation');
      this.location = header(reply, 'location');
    }
    return reply;
  }

  /**
   * A recorded poll of an operation: the emulator's own operation (the Azure-AsyncOperation or,
   * for a Location/operationResults poll, the Location of the request that started it). A poll
   * the recording saw end is made once the emulator's operation has ended too.
   */
  private async poll(what: string, recorded: URL, entry: Entry): Promise<ArmReply | undefined> {
    const result =
      recorded.searchParams.get('monitor') === 'true' ||
      /operationResults/i.test(recorded.pathname);
    const target = result ? this.location : this.asyncOperation;
    if (!target) {
      this.differences.push(
        `${what}: the emulator gave no ${result ? 'Location' : 'Azure-AsyncOperation'} to poll`,
      );
      return undefined;
    }
    const ended =
      result || (entry.ResponseBody as { status?: string } | null)?.status !== 'InProgress';
    if (ended && this.asyncOperation) await this.until(this.asyncOperation);
    const url = new URL(target);
    return armRequest(this.em, 'GET', `${url.pathname}${url.search}`, { principal: 'recording' });
  }

  private async until(operation: string): Promise<void> {
    const url = new URL(operation);
    for (let i = 0; i < 400; i += 1) {
      const reply = await armRequest<{ status?: string }>(
        this.em,
        'GET',
        `${url.pathname}${url.search}`,
        {
          principal: 'recording',
        },
      );
      if (reply.body.status !== 'InProgress') return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`operation ${operation} never ended`);
  }
}

function header(reply: ArmReply, name: string): string | undefined {
  const value = reply.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Makes what a recording found already there (its setup), through ordinary ARM requests. */
async function make(em: ArmEmulator, requests: [string, string, unknown][]): Promise<void> {
  for (const [method, p, body] of requests) {
    const reply = await armRequest(em, method, p, { body, principal: 'setup' });
    if (reply.status >= 300)
      throw new Error(`setup ${method} ${p}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
}

const group = (rg: string) => `/subscriptions/${SUB}/resourceGroups/${rg}`;
const network = (rg: string) => `${group(rg)}/providers/Microsoft.Network`;
const NETWORK_API = '?api-version=2023-02-01';
const DNS = { dnsServers: ['10.1.1.1', '10.1.2.4'] };

/** A group with the recordings' virtual network (10.0.0.0/16) and its one subnet. */
function groupWithNetwork(rg: string, vnet: string, subnet: string): [string, string, unknown][] {
  return [
    ['PUT', `${group(rg)}?api-version=2022-09-01`, { location: 'westus' }],
    [
      'PUT',
      `${network(rg)}/virtualNetworks/${vnet}${NETWORK_API}`,
      {
        location: 'westus',
        properties: {
          addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
          dhcpOptions: DNS,
          subnets: [{ name: subnet, properties: { addressPrefix: '10.0.0.0/24' } }],
        },
      },
    ],
  ];
}

let em: ArmEmulator;

beforeEach(async () => {
  em = await emulatorForTest();
});

afterEach(async () => {
  await em.stop();
});

describe('the Azure SDK recordings replayed against the emulator', () => {
  it('when a recorded answer has a key, a status or an operation header the emulator lacks, then the replay reports each', async () => {
    const [putGroup] = load('dotnet-nic-accelerated-networking').Entries;
    const doctored: Entry[] = [
      {
        ...putGroup!,
        ResponseHeaders: { 'Azure-AsyncOperation': 'https://management.azure.com/x' },
        ResponseBody: { ...(putGroup!.ResponseBody as object), notModeled: {} },
      },
      {
        ...putGroup!,
        RequestMethod: 'GET',
        RequestBody: null,
        RequestUri: putGroup!.RequestUri.replace('csmrg8931', 'missing'),
        StatusCode: 200,
      },
    ];
    await admin(em, 'PUT', `/_emulator/subscriptions/${SUB}`);
    expect(await new Replayer(em).replay(doctored)).toEqual([
      expect.stringMatching(/^#0 PUT .*: body lacks notModeled$/),
      expect.stringMatching(/^#0 PUT .*: no Azure-AsyncOperation header$/),
      expect.stringMatching(/^#1 GET .*: status 404, recorded 200/),
    ]);
  });

  it('when the Python SDK VM lifecycle is replayed (network, NIC, VM create, get, instance view, restart, powerOff, start, PATCH, deallocate, delete), then every answer has the recorded status, keys and operation headers', async () => {
    await make(em, [['PUT', `${group('rgname')}?api-version=2022-09-01`, { location: 'eastus' }]]);
    const recording = load('python-compute-vm-lifecycle');
    expect(await new Replayer(em).replay(recording.Entries)).toEqual([]);
  });

  it('when the JS SDK VM list is replayed after the VM is made, then the list has the recorded keys', async () => {
    await make(em, [['PUT', `${group('rgname')}?api-version=2022-09-01`, { location: 'eastus' }]]);
    const vm = load('python-compute-vm-lifecycle').Entries;
    const made = vm.findIndex(
      (e) => e.RequestMethod === 'GET' && /virtualMachines\/[^/?]+\?/.test(e.RequestUri),
    );
    const replayer = new Replayer(em, { SSS3PT_myjstest: 'rgname' });
    await replayer.replay(vm.slice(0, made + 1));
    expect(await replayer.replay(load('js-compute-vm-list').Entries)).toEqual([]);
  });

  it('when the .NET SDK NIC with Accelerated Networking test is replayed (create, get, delete, list), then every answer has the recorded status, keys and operation headers', async () => {
    // The recording starts in an existing subscription and makes its group itself.
    expect((await admin(em, 'PUT', `/_emulator/subscriptions/${SUB}`)).status).toBe(201);
    expect(
      await new Replayer(em).replay(load('dotnet-nic-accelerated-networking').Entries),
    ).toEqual([]);
  });

  it('when the .NET SDK NIC update (GET, change, PUT) is replayed, then every answer has the recorded status, keys and operation headers', async () => {
    await make(em, groupWithNetwork('csmrg2509', 'azsmnet3195', 'azsmnet2900'));
    expect(await new Replayer(em).replay(load('dotnet-nic-update').Entries)).toEqual([]);
  });

  it('when the .NET SDK NIC get and lists are replayed, then each has the recorded keys', async () => {
    const rg = 'csmrg2410';
    await make(em, [
      ...groupWithNetwork(rg, 'azsmnet4919', 'azsmnet7458'),
      [
        'PUT',
        `${network(rg)}/publicIPAddresses/azsmnet8743${NETWORK_API}`,
        {
          location: 'westus',
          tags: { key: 'value' },
          // The SKU the 2023 recording got by default (the emulator defaults to Standard).
          sku: { name: 'Basic' },
          properties: { publicIPAllocationMethod: 'Dynamic' },
        },
      ],
      [
        'PUT',
        `${network(rg)}/networkInterfaces/azsmnet8317${NETWORK_API}`,
        {
          location: 'westus',
          tags: { key: 'value' },
          properties: {
            ipConfigurations: [
              {
                name: 'azsmnet881',
                properties: {
                  privateIPAllocationMethod: 'Dynamic',
                  publicIPAddress: { id: `${network(rg)}/publicIPAddresses/azsmnet8743` },
                  subnet: { id: `${network(rg)}/virtualNetworks/azsmnet4919/subnets/azsmnet7458` },
                },
              },
            ],
          },
        },
      ],
    ]);
    expect(await new Replayer(em).replay(load('dotnet-nic-list').Entries)).toEqual([]);
  });
});

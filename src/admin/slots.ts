// Slot binding: a pattern's slots (storage, queue, ...) each need a backend
// implementing some Prism interfaces, and a namespace binds each slot to a
// registered backend. The admin refuses a binding that cannot serve its slot;
// a pattern checks again at start-up with resolveSlots(), since what it needs
// is written in its code while the admin only knows what the namespace says.
import type { ServiceError } from '@grpc/grpc-js';
import { AdminClient } from './client.js';
import type { AdminNamespace, Backend } from './model.js';

/** keyvalue_basic, pubsub_basic, ... */
export const INTERFACE_PATTERN = /^[a-z][a-z0-9_]*$/;
export const SLOT_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** The interfaces in `required` that `backend` does not implement. */
export function unmetInterfaces(required: readonly string[], backend: Backend): string[] {
  const offered = new Set(backend.interfaces ?? []);
  return required.filter((name) => !offered.has(name));
}

export function unmetInterfaceMessage(slot: string, backend: string, iface: string): string {
  return `slot '${slot}' needs interface '${iface}', which backend '${backend}' does not implement`;
}

/** A pattern cannot start on what its namespace binds to its slots. */
export class SlotBindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlotBindingError';
  }
}

/** The admin's answer, or a SlotBindingError saying what was being read and why it failed. */
async function read<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw new SlotBindingError(`${what}: ${(err as ServiceError).details ?? (err as Error).message}`);
  }
}

/**
 * Reads `namespace` and the backends bound to its slots from the admin at
 * `adminAddress`, and returns the backend of each slot in `requirements`
 * (slot -> interfaces it needs). Throws SlotBindingError naming the slot, the
 * backend and the interface when a slot is unbound, its backend is missing,
 * or the backend lacks an interface.
 */
export async function resolveSlots(
  adminAddress: string,
  namespace: string,
  requirements: Readonly<Record<string, readonly string[]>>,
): Promise<Record<string, Backend>> {
  const client = new AdminClient(adminAddress, { deadlineMs: 5000 });
  try {
    const where = `namespace '${namespace}' (admin ${adminAddress})`;
    const ns: AdminNamespace = await read(where, client.getNamespace(namespace));
    const bindings = ns.pattern?.slot_bindings ?? {};
    const resolved: Record<string, Backend> = {};
    for (const [slot, interfaces] of Object.entries(requirements)) {
      const backendName = bindings[slot];
      if (!backendName) throw new SlotBindingError(`${where}: slot '${slot}' is not bound to a backend`);
      const backend = await read(`${where}: slot '${slot}'`, client.getBackend(backendName));
      const unmet = unmetInterfaces(interfaces, backend);
      if (unmet.length) {
        throw new SlotBindingError(`${where}: ${unmet.map((name) => unmetInterfaceMessage(slot, backendName, name)).join('; ')}`);
      }
      resolved[slot] = backend;
    }
    return resolved;
  } finally {
    client.close();
  }
}

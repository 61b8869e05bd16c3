/**
 * The kinds of damage a verification reports. Each names what the evidence
 * shows, at the lowest sequence number where it shows.
 */
export const DAMAGE_KINDS = {
  changed_event: 'An event no longer matches its hash: a field was changed.',
  deleted_event: 'An event is missing from the chain.',
  inserted_event: 'An event that the chain never contained was inserted.',
  reordered_events: 'Events appear out of their original order.',
  truncated: 'The chain ends before the last signed checkpoint or the chain head.',
  bad_checkpoint_signature: 'A checkpoint signature is forged or made with another key.',
  checkpoint_mismatch: 'A signed checkpoint root does not match the events it covers.',
  malformed_export: 'A line of the export is not a well-formed event or checkpoint.',
} as const;

export type DamageKind = keyof typeof DAMAGE_KINDS;

export interface Damage {
  kind: DamageKind;
  /** The first sequence number affected. */
  seq: number;
  message: string;
}

export interface VerificationReport {
  intact: boolean;
  events: number;
  checkpoints: number;
  /** Tree size of the last signed checkpoint, 0 when there is none. */
  signedSize: number;
  damage: Damage | null;
}

export function damage(kind: DamageKind, seq: number, message: string): Damage {
  return { kind, seq, message };
}

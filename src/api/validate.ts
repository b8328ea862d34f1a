/**
 * Input validation in AWS's words. Every public operation reads its input through a `Checks`
 * object, which collects every constraint violation and then throws one ValidationException:
 * `N validation error(s) detected: Value '<v>' at '<path>' failed to satisfy constraint: ...`.
 * Blob values (plaintext, ciphertext) are never echoed, as AWS does for `plaintext`.
 */
import { ValidationException } from '../errors.js';
import { setOwn } from './set-own.js';

export type Input = Record<string, unknown>;

declare const REQUIRED: unique symbol;
/**
 * A member AWS requires, as read (`Checks.required`): opaque until `done(values)` has checked
 * the request, which returns it as a plain T, so no `value!` is needed after validation.
 */
export type Required<T> = { readonly [REQUIRED]: T };
/** The checked input `done(values)` returns: each Required<T> as T, the optional members as read. */
export type Checked<V> = { [K in keyof V]: V[K] extends Required<infer T> ? T : V[K] };

/** kmsbox's bound for list members the model leaves unbounded (Tags, TagKeys, DryRunModifiers, Operations). */
export const MAX_LIST_ITEMS = 1000;

/**
 * kmsbox's bound for a string map (EncryptionContext and the like), which AWS leaves unbounded:
 * its size as the AWS Encryption SDK serializes it (2-byte count, then a 2-byte length before each
 * key and each value, all UTF-8) at most 2^16 − 1 bytes, the largest context an Encryption SDK
 * message header can carry. So every context an Encryption SDK sends to KMS fits, and a request
 * cannot make kmsbox sort, hash and audit hundreds of thousands of pairs (at most 13,107 fit).
 */
export const MAX_MAP_SERIALIZED_BYTES = 0xffff;

/** UTF-8 length of a well-formed string, without encoding it. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    // 2 bytes below U+0800, 3 above; a surrogate pair (2 units) is 4 bytes.
    if (unit >= 0x80) n += unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** Marks a value that must not appear in a message. */
const HIDDEN: unique symbol = Symbol('hidden');

/** `KeyId` → `keyId`: AWS reports member paths in lower camel case. */
function path(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `'${String(value)}'`;
  return `'${Object.prototype.toString.call(value)}'`;
}

export function validationError(problems: readonly string[]): ValidationException {
  const n = problems.length;
  return new ValidationException({
    message: `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
  });
}

/** A ValidationException whose message is AWS's own sentence rather than the constraint form. */
export function plainValidation(message: string): ValidationException {
  return new ValidationException({ message });
}

/** The operation's input as an object; `undefined` counts as `{}` (operations with no required member). */
export function readInput(input: unknown): Input {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input) || input instanceof Uint8Array) {
    throw new ValidationException({
      message: `1 validation error detected: Value ${describe(input)} at 'input' failed to satisfy constraint: Member must be an object`,
    });
  }
  return input as Input;
}

interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
}
interface IntRule {
  required?: boolean;
  min?: number;
  max?: number;
}
interface BytesRule {
  required?: boolean;
  min: number;
  max: number;
}

export class Checks {
  constructor(
    private readonly input: Input,
    private readonly prefix = '',
    /** Shared with nested checks so one ValidationException reports everything. */
    readonly problems: string[] = [],
  ) {}

  /** `value` is echoed as AWS does; pass HIDDEN for members that may hold secrets. */
  private fail(field: string, value: unknown, constraint: string): undefined {
    const shown = value === HIDDEN ? '' : describe(value);
    this.problems.push(
      `Value${shown ? ` ${shown}` : ''} at '${this.prefix}${path(field)}' failed to satisfy constraint: Member must ${constraint}`,
    );
    return undefined;
  }

  /** The member's value, `undefined` when absent or null (recording a problem if it is required). */
  present(field: string, required = false): unknown {
    const value = this.input[field];
    if (value === undefined || value === null) {
      if (required) this.fail(field, null, 'not be null');
      return undefined;
    }
    return value;
  }

  string(field: string, rule: StringRule = {}): string | undefined {
    const value = this.present(field, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return this.fail(field, value, 'be of type string');
    if (rule.min !== undefined && value.length < rule.min)
      return this.fail(field, value, `have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value.length > rule.max) return this.fail(field, value, `have length less than or equal to ${rule.max}`);
    if (rule.pattern !== undefined && !rule.pattern.test(value))
      return this.fail(field, value, `satisfy regular expression pattern: ${rule.pattern.source}`);
    return value;
  }

  int(field: string, rule: IntRule = {}): number | undefined {
    const value = this.present(field, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.fail(field, value, 'be of type integer');
    if (rule.min !== undefined && value < rule.min) return this.fail(field, value, `have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && value > rule.max) return this.fail(field, value, `have value less than or equal to ${rule.max}`);
    return value;
  }

  bool(field: string): boolean | undefined {
    const value = this.present(field, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return this.fail(field, value, 'be of type boolean');
    return value;
  }

  bytes(field: string, rule: BytesRule): Uint8Array | undefined {
    const value = this.present(field, rule.required);
    if (value === undefined) return undefined;
    // Blob members may hold secrets (Plaintext): their value is never echoed, whatever its type.
    if (!(value instanceof Uint8Array)) return this.fail(field, HIDDEN, 'be of type Uint8Array');
    if (value.length < rule.min) return this.fail(field, HIDDEN, `have length greater than or equal to ${rule.min}`);
    if (value.length > rule.max) return this.fail(field, HIDDEN, `have length less than or equal to ${rule.max}`);
    return value;
  }

  oneOf<T extends string>(field: string, allowed: { readonly [K in T]: K }, required = false): T | undefined {
    const value = this.present(field, required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !Object.hasOwn(allowed, value))
      return this.fail(field, value, `satisfy enum value set: [${Object.keys(allowed).join(', ')}]`);
    return value as T;
  }

  /**
   * A string→string map such as EncryptionContext. Strings must be well-formed UTF-16 so their
   * UTF-8 is unambiguous; the whole is bounded by MAX_MAP_SERIALIZED_BYTES, checked as the entries
   * are read (an oversized map is refused without reading the rest, and never echoed).
   */
  stringMap(field: string): Record<string, string> | undefined {
    const value = this.present(field, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array)
      return this.fail(field, value, 'be a map of string to string');
    const out: Record<string, string> = {};
    let serialized = 2;
    // Object.keys, not Object.entries: on a map of many thousand keys it is several times faster.
    for (const k of Object.keys(value as object)) {
      const v = (value as Record<string, unknown>)[k];
      if (typeof v !== 'string') return this.fail(`${field}.${k}`, v, 'be of type string');
      if (!k.isWellFormed() || !v.isWellFormed()) return this.fail(field, HIDDEN, 'contain only well-formed Unicode strings');
      serialized += 4 + utf8Length(k) + utf8Length(v);
      if (serialized > MAX_MAP_SERIALIZED_BYTES)
        return this.fail(field, HIDDEN, `have length less than or equal to ${MAX_MAP_SERIALIZED_BYTES} bytes when serialized`);
      // setOwn defines "__proto__" as an own property: `out['__proto__'] = v` would drop that pair.
      setOwn(out, k, v);
    }
    return out;
  }

  /**
   * A list, checked for type and size; items are checked by `each`. A list the model leaves
   * unbounded is still capped at MAX_LIST_ITEMS (a length is never trusted before iterating), and
   * null, undefined and missing (sparse) items are problems, as null list members are in AWS.
   */
  list<T>(
    field: string,
    rule: { required?: boolean; min?: number; max?: number },
    each: (item: unknown, index: number) => T | undefined,
  ): T[] | undefined {
    const value = this.present(field, rule.required);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.fail(field, value, 'be a list');
    if (rule.min !== undefined && value.length < rule.min)
      return this.fail(field, HIDDEN, `have length greater than or equal to ${rule.min}`);
    const max = rule.max ?? MAX_LIST_ITEMS;
    if (value.length > max) return this.fail(field, HIDDEN, `have length less than or equal to ${max}`);
    const before = this.problems.length;
    const out: Array<T | undefined> = [];
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined || item === null) this.fail(`${field}.${i + 1}.member`, null, 'not be null');
      else out.push(each(item, i));
    }
    return this.problems.length === before ? (out as T[]) : undefined;
  }

  /** A nested structure at `field.<i>.member.`, AWS's path form for list members. */
  member(field: string, index: number, item: unknown): Checks | undefined {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      this.fail(`${field}.${index + 1}.member`, item, 'be a structure');
      return undefined;
    }
    return new Checks(item as Input, `${this.prefix}${path(field)}.${index + 1}.member.`, this.problems);
  }

  /** A nested structure member (`field.`). */
  structure(field: string): Checks | undefined {
    const value = this.present(field, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      this.fail(field, value, 'be a structure');
      return undefined;
    }
    return new Checks(value as Input, `${this.prefix}${path(field)}.`, this.problems);
  }

  /** List of plain strings (`field.<i>.member`). */
  stringItem(field: string, index: number, item: unknown, rule: StringRule): string | undefined {
    const key = `${field}.${index + 1}.member`;
    return new Checks({ [key]: item }, this.prefix, this.problems).string(key, rule);
  }

  /** Adds a problem phrased by the caller (for rules that span fields). */
  add(problem: string): void {
    this.problems.push(problem);
  }

  /**
   * What a reader returned for a member it read as required (`required: true`): it recorded a
   * problem if the member was missing or wrong, so once `done(values)` returns, the value is there.
   */
  required<T>(value: T | undefined): Required<T> {
    return value as unknown as Required<T>;
  }

  /**
   * Throws the collected problems, if any; otherwise returns `values`, the members as read, as the
   * checked input (each `required(…)` member as its plain type).
   */
  done(): void;
  done<V extends Record<string, unknown>>(values: V): Checked<V>;
  done<V extends Record<string, unknown>>(values?: V): Checked<V> | undefined {
    if (this.problems.length > 0) throw validationError(this.problems);
    return values as Checked<V> | undefined;
  }
}

/**
 * Steps that are synchronous unless they must wait (a store that reads asynchronously, a backend
 * without synchronous crypto): the request path of Encrypt and Decrypt on a MemoryProvider then
 * costs no promise per step, where an `async` function per step cost one each (issue #16).
 */
export type Maybe<T> = T | Promise<T>;

/**
 * `f(value)` now when `value` is not a promise, else once it has settled. Not named `then`: a
 * module that exports `then` is a thenable namespace, which `await import()` would call.
 */
export function andThen<T, U>(value: Maybe<T>, f: (v: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

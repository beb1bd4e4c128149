/**
 * Disposal from one root: every object that owns listeners, emitters or panels
 * registers them with `_register`, and disposing the owner disposes them in
 * reverse order (vscode-pull-request-github `src/common/lifecycle.ts`).
 */
export interface Disposable {
  dispose(): unknown;
}

export abstract class DisposableBase implements Disposable {
  private readonly _disposables: Disposable[] = [];
  private _isDisposed = false;

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Takes ownership of `d`; if this object is already disposed, `d` is disposed at once. */
  protected _register<T extends Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._disposables.push(d);
    return d;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }
}

/** Disposes in reverse order of registration, so later objects never outlive what they use. */
export function disposeAll(list: Disposable[]): void {
  while (list.length) {
    const d = list.pop()!;
    try {
      d.dispose();
    } catch {
      // One failing disposer must not keep the rest alive.
    }
  }
}

export function toDisposable(fn: () => unknown): Disposable {
  return { dispose: fn };
}
